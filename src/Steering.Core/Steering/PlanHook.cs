using System.Numerics.Tensors;
using LlamaSteer.Capture;
using LlamaSteer.Inference;

namespace LlamaSteer.Steering;

/// <summary>
/// Applies per-sequence steering plans inside the evaluation callback. Before each decode,
/// <see cref="Prepare"/> works out, for every layer, which rows of l_out belong to which sequence and
/// which terms apply to them (by window); during the decode only those layers are asked for and only
/// the span of rows that needs it is read and written back. Rows of sequences without a plan are
/// never touched, so sequences in one batch cannot affect each other. Not thread-safe: one per context.
/// </summary>
public sealed class PlanHook : IGraphHook
{
    private readonly int _lastLayer;
    private readonly int _embd;
    private readonly Dictionary<(SteeringTerm, int), float[]> _units = new(TermLayerComparer.Instance);
    private readonly Dictionary<int, List<(int Row, SteeringTerm[] Terms)>> _work = new();
    private float[] _rows = [];

    public PlanHook(int layerCount, int embeddingSize)
    {
        _lastLayer = layerCount - 1;
        _embd = embeddingSize;
    }

    /// <summary>True when the prepared batch has anything to steer.</summary>
    public bool HasWork => _work.Count > 0;

    /// <summary>Plans the next decode of <paramref name="batch"/>; sequences missing from <paramref name="plans"/> are not steered.</summary>
    public void Prepare(TokenBatch batch, IReadOnlyDictionary<int, SequenceSteering> plans)
    {
        _work.Clear();
        var outputRow = 0;
        var entries = batch.Entries;
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            var lastLayerRow = e.Output ? outputRow++ : -1;
            if (!plans.TryGetValue(e.Sequence, out var s) || s.Plan.IsEmpty) continue;
            foreach (var group in s.Plan.Terms
                         .Where(t => t.EffectiveWindow.Contains(e.Position, s.PromptLength))
                         .SelectMany(t => t.EffectiveLayers.Select(l => (Layer: l, Term: t)))
                         .GroupBy(x => x.Layer))
            {
                // The last layer's l_out only holds the rows that produce output.
                var row = group.Key == _lastLayer ? lastLayerRow : i;
                if (row < 0) continue;
                if (!_work.TryGetValue(group.Key, out var list)) _work[group.Key] = list = [];
                list.Add((row, group.Select(x => x.Term).ToArray()));
            }
        }
    }

    public bool Wants(in GraphTensor tensor) =>
        ResidualCaptureHook.LayerOf(tensor.NameBytes) is { } il && _work.ContainsKey(il);

    public bool OnComputed(in GraphTensor tensor)
    {
        var il = ResidualCaptureHook.LayerOf(tensor.NameBytes)!.Value;
        if (!tensor.IsContiguousF32 || tensor.RowLength != _embd)
            throw new InvalidOperationException($"{tensor.Name} is not a contiguous F32 [n_embd, tokens] tensor; cannot steer it.");
        var work = _work[il];
        var first = work[0].Row;
        var last = work[^1].Row;
        if (last >= tensor.RowCount)
            throw new InvalidOperationException($"{tensor.Name} has {tensor.RowCount} rows but the plan expects row {last}; llama.cpp split or reordered the batch.");
        var count = last - first + 1;
        if (_rows.Length < count * _embd) _rows = new float[count * _embd];
        var data = _rows.AsSpan(0, count * _embd);
        tensor.ReadRows(first, count, data);
        foreach (var (row, terms) in work)
        {
            var h = data.Slice((row - first) * _embd, _embd);
            foreach (var t in terms) Apply(t, il, h);
        }
        tensor.WriteRows(first, count, data);
        return true;
    }

    private void Apply(SteeringTerm t, int layer, Span<float> h)
    {
        switch (t.Operator)
        {
            case SteeringOperator.Add:
                var coefficient = t.Contextual is { } c ? t.Strength * c.Coefficient(layer, h) : t.Strength;
                if (coefficient != 0) TensorPrimitives.MultiplyAdd(t.Vector.Direction(layer), coefficient, h, h);
                break;
            case SteeringOperator.Ablate:
            {
                var u = Unit(t, layer);
                TensorPrimitives.MultiplyAdd(u, -TensorPrimitives.Dot(h, u), h, h);
                break;
            }
            case SteeringOperator.Clamp:
            {
                var u = Unit(t, layer);
                TensorPrimitives.MultiplyAdd(u, t.Strength - TensorPrimitives.Dot(h, u), h, h);
                break;
            }
        }
    }

    private float[] Unit(SteeringTerm t, int layer)
    {
        if (_units.TryGetValue((t, layer), out var u)) return u;
        var d = t.Vector.Direction(layer);
        u = new float[d.Length];
        TensorPrimitives.Divide(d, TensorPrimitives.Norm(d), u);
        _units[(t, layer)] = u;
        return u;
    }

    /// <summary>Keys by the term instance (records compare by value, which would be slow and wrong for equal terms).</summary>
    private sealed class TermLayerComparer : IEqualityComparer<(SteeringTerm, int)>
    {
        public static readonly TermLayerComparer Instance = new();
        public bool Equals((SteeringTerm, int) a, (SteeringTerm, int) b) => ReferenceEquals(a.Item1, b.Item1) && a.Item2 == b.Item2;
        public int GetHashCode((SteeringTerm, int) x) => HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(x.Item1), x.Item2);
    }
}
