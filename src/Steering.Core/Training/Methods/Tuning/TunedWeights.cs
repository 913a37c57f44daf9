using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Parameters;

namespace LlamaSteer.Training.Methods.Tuning;

/// <summary>
/// The trainable side of representation tuning: an <see cref="IWeightEdit"/> over chosen block matrices that can
/// give back each tuned matrix as F32 to be written into the model. Not thread-safe.
/// </summary>
public abstract class TunedWeights(IReadOnlyList<TunedTarget> targets) : IWeightEdit
{
    private readonly Dictionary<(int, string), TunedTarget> _byKey = targets.ToDictionary(t => (t.Layer, t.Tensor));

    /// <summary>The matrices being tuned, in the order given.</summary>
    public IReadOnlyList<TunedTarget> Targets { get; } = targets;

    public abstract IReadOnlyList<TrainableTensor> Tensors { get; }

    /// <summary>The tuned matrix of <paramref name="target"/> in F32, ggml order (the values to write back).</summary>
    public abstract float[] Weight(TunedTarget target);

    public GgmlTensorRef Project(GraphStep step, int layer, string tensor, GgmlTensorRef frozen, GgmlTensorRef x) =>
        _byKey.TryGetValue((layer, tensor), out var target) ? Project(step, target, frozen, x) : default;

    /// <summary>W·x through the tuned form of <paramref name="target"/>.</summary>
    protected abstract GgmlTensorRef Project(GraphStep step, TunedTarget target, GgmlTensorRef frozen, GgmlTensorRef x);
}
