using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using LlamaSteer.Inference;

namespace LlamaSteer.Steering;

/// <summary>
/// Applies per-sequence steering plans inside the evaluation callback. Before each decode,
/// <see cref="Prepare"/> works out, for every layer, which rows of l_out belong to which sequence and
/// which terms apply to them (by window); during the decode only those layers are asked for and only
/// the runs of rows that need it are read and written back. Rows of sequences without a plan are
/// never touched, so sequences in one batch cannot affect each other. Not thread-safe: one per context.
/// </summary>
/// <remarks>
/// Prepare runs before every decode and <see cref="Wants"/> for every node of the graph, so both are
/// allocation-free once warm: a plan's layers, directions and unit vectors are worked out once per plan
/// instance (plans are immutable) and the per-layer work lives in reused buffers indexed by layer.
/// </remarks>
public sealed class PlanHook : IGraphHook
{
    private readonly int _lastLayer;
    private readonly int _embd;
    private readonly ConditionalWeakTable<SteeringPlan, CompiledPlan> _compiled = new();
    private readonly LayerWork?[] _byLayer;
    private readonly List<int> _activeLayers = [];
    private float[] _rows = [];

    public PlanHook(int layerCount, int embeddingSize)
    {
        _lastLayer = layerCount - 1;
        _embd = embeddingSize;
        _byLayer = new LayerWork?[layerCount];
    }

    /// <summary>True when the prepared batch has anything to steer.</summary>
    public bool HasWork => _activeLayers.Count > 0;

    /// <summary>Plans the next decode of <paramref name="batch"/>; sequences missing from <paramref name="plans"/> are not steered.</summary>
    public void Prepare(TokenBatch batch, IReadOnlyDictionary<int, SequenceSteering> plans)
    {
        foreach (var l in _activeLayers) _byLayer[l]!.Clear();
        _activeLayers.Clear();
        var outputRow = 0;
        var entries = batch.Entries;
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            var lastLayerRow = e.Output ? outputRow++ : -1;
            if (!plans.TryGetValue(e.Sequence, out var s) || s.Plan.IsEmpty) continue;
            var terms = Compile(s.Plan).Terms;
            foreach (var t in terms)
            {
                if (!t.Applies(e.Position, s.PromptLength)) continue;
                foreach (var layer in t.Layers)
                {
                    // The last layer's l_out only holds the rows that produce output.
                    var row = layer == _lastLayer ? lastLayerRow : i;
                    if (row < 0) continue;
                    var work = _byLayer[layer] ??= new LayerWork();
                    if (work.IsEmpty) _activeLayers.Add(layer);
                    work.Add(row, t);
                }
            }
        }
    }

    public bool Wants(in GraphTensor tensor) =>
        tensor.ResidualLayer is var il && il >= 0 && il < _byLayer.Length && _byLayer[il] is { IsEmpty: false };

    public bool OnComputed(in GraphTensor tensor)
    {
        var il = tensor.ResidualLayer;
        if (!tensor.IsContiguousF32 || tensor.RowLength != _embd)
            throw new InvalidOperationException($"{tensor.Name} is not a contiguous F32 [n_embd, tokens] tensor; cannot steer it.");
        var work = _byLayer[il]!;
        var last = work.Rows[work.RowCount - 1].Row;
        if (last >= tensor.RowCount)
            throw new InvalidOperationException($"{tensor.Name} has {tensor.RowCount} rows but the plan expects row {last}; llama.cpp split or reordered the batch.");
        // Rows are ascending; each run of consecutive rows is read and written back with one copy each way.
        for (var start = 0; start < work.RowCount;)
        {
            var end = start + 1;
            while (end < work.RowCount && work.Rows[end].Row == work.Rows[end - 1].Row + 1) end++;
            var first = work.Rows[start].Row;
            var count = end - start;
            if (_rows.Length < count * _embd) _rows = new float[count * _embd];
            var data = _rows.AsSpan(0, count * _embd);
            tensor.ReadRows(first, count, data);
            for (var k = start; k < end; k++)
            {
                var (row, termStart, termCount) = work.Rows[k];
                var h = data.Slice((row - first) * _embd, _embd);
                for (var j = termStart; j < termStart + termCount; j++) Apply(work.Terms[j], il, h);
            }
            tensor.WriteRows(first, count, data);
            start = end;
        }
        return true;
    }

    private static void Apply(CompiledTerm t, int layer, Span<float> h)
    {
        var term = t.Term;
        switch (term.Operator)
        {
            case SteeringOperator.Add:
                var coefficient = term.Contextual is { } c ? term.Strength * c.Coefficient(layer, h) : term.Strength;
                if (coefficient != 0) TensorPrimitives.MultiplyAdd(t.Direction(layer), coefficient, h, h);
                break;
            case SteeringOperator.Ablate:
            {
                var u = t.Unit(layer);
                TensorPrimitives.MultiplyAdd(u, -TensorPrimitives.Dot(h, u), h, h);
                break;
            }
            case SteeringOperator.Clamp:
            {
                var u = t.Unit(layer);
                TensorPrimitives.MultiplyAdd(u, term.Strength - TensorPrimitives.Dot(h, u), h, h);
                break;
            }
        }
    }

    private CompiledPlan Compile(SteeringPlan plan)
    {
        var compiled = _compiled.GetValue(plan, static p => new CompiledPlan(p));
        if (compiled.Matches(plan)) return compiled;
        // The plan's term list was changed after it was made (plans are meant to be immutable): start again.
        compiled = new CompiledPlan(plan);
        _compiled.AddOrUpdate(plan, compiled);
        return compiled;
    }

    /// <summary>A plan's terms with what the callback needs at hand.</summary>
    private sealed class CompiledPlan(SteeringPlan plan)
    {
        public CompiledTerm[] Terms { get; } = plan.Terms.Select(t => new CompiledTerm(t)).ToArray();

        public bool Matches(SteeringPlan p)
        {
            var terms = p.Terms;
            if (terms.Count != Terms.Length) return false;
            for (var i = 0; i < Terms.Length; i++)
                if (!ReferenceEquals(terms[i], Terms[i].Term)) return false;
            return true;
        }
    }

    /// <summary>
    /// A term's effective layers (in the vector's layer order) and, for ablate and clamp, its unit
    /// directions by layer (computed as d / |d| the first time they are needed).
    /// </summary>
    private sealed class CompiledTerm
    {
        private readonly float[]?[] _units;

        public CompiledTerm(SteeringTerm term)
        {
            Term = term;
            Window = term.EffectiveWindow;
            Layers = term.EffectiveLayers.ToArray();
            _units = new float[]?[Layers.Length == 0 ? 0 : Layers.Max() + 1];
        }

        public SteeringTerm Term { get; }

        public TokenWindow Window { get; }

        public int[] Layers { get; }

        public ReadOnlySpan<float> Direction(int layer) => Term.Vector.Direction(layer);

        public float[] Unit(int layer)
        {
            if (_units[layer] is { } u) return u;
            var d = Term.Vector.Direction(layer);
            u = new float[d.Length];
            TensorPrimitives.Divide(d, TensorPrimitives.Norm(d), u);
            return _units[layer] = u;
        }

        public bool Applies(int position, int promptLength) => Window.Contains(position, promptLength);
    }

    /// <summary>One layer's work for the prepared decode: ascending rows, each with a run of terms applied in order.</summary>
    private sealed class LayerWork
    {
        public (int Row, int TermStart, int TermCount)[] Rows = new (int, int, int)[8];
        public CompiledTerm[] Terms = new CompiledTerm[8];
        public int RowCount;
        private int _termCount;

        public bool IsEmpty => RowCount == 0;

        /// <summary>Adds a term to a row; terms for one row arrive together, so a repeated row extends the last entry.</summary>
        public void Add(int row, CompiledTerm term)
        {
            if (_termCount == Terms.Length) Array.Resize(ref Terms, Terms.Length * 2);
            Terms[_termCount++] = term;
            if (RowCount > 0 && Rows[RowCount - 1].Row == row)
            {
                Rows[RowCount - 1].TermCount++;
                return;
            }
            if (RowCount == Rows.Length) Array.Resize(ref Rows, Rows.Length * 2);
            Rows[RowCount++] = (row, _termCount - 1, 1);
        }

        public void Clear()
        {
            Array.Clear(Terms, 0, _termCount);
            RowCount = 0;
            _termCount = 0;
        }
    }
}
