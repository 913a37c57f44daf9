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

/// <summary>Full F32 copies of the chosen matrices (<c>tune.blk.N.NAME</c>), starting at the model's values.</summary>
public sealed class WeightCopies : TunedWeights
{
    private readonly Dictionary<TunedTarget, TrainableTensor> _copies;

    public WeightCopies(IReadOnlyList<TunedTarget> targets) : base(targets) =>
        _copies = targets.ToDictionary(t => t, t => new TrainableTensor($"tune.{t.GgufName}", [t.Inputs, t.Outputs], t.Frozen));

    public override IReadOnlyList<TrainableTensor> Tensors => [.. Targets.Select(t => _copies[t])];

    public override float[] Weight(TunedTarget target) => _copies[target].Snapshot();

    protected override GgmlTensorRef Project(GraphStep step, TunedTarget target, GgmlTensorRef frozen, GgmlTensorRef x) =>
        step.Context.MulMat(step.Parameter(_copies[target]), x);
}
