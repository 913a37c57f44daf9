using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Parameters;

namespace LlamaSteer.Training.Methods.Tuning;

/// <summary>Full F32 copies of the chosen matrices (<c>tune.blk.N.NAME</c>), starting at the model's values. Not thread-safe.</summary>
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
