using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Graph;

namespace LlamaSteer.Training.Parameters;

/// <summary>
/// What a parameter set does to a block's weight matrices: given the frozen weight and its input, the projection the
/// graph should use instead (a trainable copy of the weight, or the frozen product plus a low-rank update). The
/// counterpart of <see cref="IResidualEdit"/> for methods that train weights rather than add to the residual stream.
/// </summary>
public interface IWeightEdit
{
    /// <summary>The trainable tensors the edit reads.</summary>
    IReadOnlyList<TrainableTensor> Tensors { get; }

    /// <summary>
    /// W·x for block <paramref name="layer"/>'s <paramref name="tensor"/> (a <see cref="BlockTensors"/> name) as edited, or a
    /// null reference when the edit leaves that weight alone. <paramref name="x"/> is [n_in, tokens]; the result [n_out, tokens].
    /// </summary>
    GgmlTensorRef Project(GraphStep step, int layer, string tensor, GgmlTensorRef frozen, GgmlTensorRef x);
}
