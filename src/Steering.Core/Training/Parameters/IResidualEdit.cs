using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Graph;

namespace LlamaSteer.Training.Parameters;

/// <summary>
/// What a parameter set does to the residual stream: given a layer's output (<c>l_out-N</c> before naming, where
/// llama.cpp adds a control vector), the edited output. Layers it does not touch return the input unchanged.
/// </summary>
public interface IResidualEdit
{
    /// <summary>The trainable tensors the edit reads.</summary>
    IReadOnlyList<TrainableTensor> Tensors { get; }

    /// <summary>The edited layer output; <paramref name="layerOutput"/> is [n_embd, tokens].</summary>
    GgmlTensorRef Apply(GraphStep step, int layer, GgmlTensorRef layerOutput);
}
