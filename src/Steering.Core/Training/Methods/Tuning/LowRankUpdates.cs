using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Parameters;

namespace LlamaSteer.Training.Methods.Tuning;

/// <summary>
/// A low-rank update W + B·A of each chosen matrix (LoRA without its α/r factor): the frozen W stays as the model
/// stores it (quantized or not) and only A ([inputs, rank], seeded uniform in ±1/√inputs) and B ([rank, outputs],
/// zero, so training starts at the model itself) train: rank·(inputs + outputs) values instead of inputs·outputs.
/// Not thread-safe.
/// </summary>
public sealed class LowRankUpdates : TunedWeights
{
    private readonly Dictionary<TunedTarget, (TrainableTensor A, TrainableTensor B)> _updates;

    /// <exception cref="ArgumentException">The rank is below 1 or above what a matrix allows (min(inputs, outputs)).</exception>
    public LowRankUpdates(IReadOnlyList<TunedTarget> targets, int rank, int seed) : base(targets)
    {
        if (rank < 1) throw new ArgumentException($"the rank must be at least 1, not {rank}.");
        Rank = rank;
        var random = new Random(seed);
        _updates = targets.ToDictionary(t => t, t =>
        {
            if (rank > MaxRank(t)) throw new ArgumentException($"rank {rank} is larger than {t.GgufName} [{t.Inputs}, {t.Outputs}] allows (at most {MaxRank(t)}).");
            var bound = 1 / MathF.Sqrt(t.Inputs);
            var a = new float[t.Inputs * rank];
            for (var i = 0; i < a.Length; i++) a[i] = (float)(random.NextDouble() * 2 - 1) * bound;
            return (new TrainableTensor($"lora_a.{t.GgufName}", [t.Inputs, rank], a), new TrainableTensor($"lora_b.{t.GgufName}", [rank, t.Outputs]));
        });
    }

    public int Rank { get; }

    /// <summary>The largest rank an update of <paramref name="target"/> can have.</summary>
    public static long MaxRank(TunedTarget target) => Math.Min(target.Inputs, target.Outputs);

    public override IReadOnlyList<TrainableTensor> Tensors => [.. Targets.SelectMany(t => new[] { _updates[t].A, _updates[t].B })];

    /// <summary>W + B·A: W[o, i] + Σ_k B[o, k]·A[k, i], in ggml order (row o holds the inputs of output o).</summary>
    public override float[] Weight(TunedTarget target)
    {
        var (a, b) = (_updates[target].A.Values, _updates[target].B.Values);
        var w = (float[])target.Frozen.Clone();
        var inputs = (int)target.Inputs;
        for (var o = 0; o < target.Outputs; o++)
        {
            var row = w.AsSpan(o * inputs, inputs);
            for (var k = 0; k < Rank; k++)
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(a.AsSpan(k * inputs, inputs), b[o * Rank + k], row, row);
        }
        return w;
    }

    protected override GgmlTensorRef Project(GraphStep step, TunedTarget target, GgmlTensorRef frozen, GgmlTensorRef x)
    {
        var g = step.Context;
        var (a, b) = _updates[target];
        return g.Add(g.MulMat(frozen, x), g.MulMat(step.Parameter(b), g.MulMat(step.Parameter(a), x)));
    }
}
