using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using LlamaSteer.Inference;

namespace LlamaSteer.Steering;

/// <summary>
/// LlamaSteer's plan semantics for one decode, free of any native binding: before each decode,
/// <see cref="Prepare"/> works out, for every layer, which rows of l_out belong to which sequence and
/// which terms apply to them (by window); during the decode <see cref="Wants"/> says which layers to ask
/// for and <see cref="Apply"/> reads, edits and writes back only the runs of rows that need it. Rows of
/// sequences without a plan are never touched, so sequences in one batch cannot affect each other.
/// The evaluation callback of any llama.cpp binding drives it (LlamaSteer's own <c>PlanHook</c>, the
/// LLamaSharp interop package's). Not thread-safe: one per context.
/// </summary>
/// <remarks>
/// Prepare runs before every decode and <see cref="Wants"/> for every node of the graph, so both are
/// allocation-free once warm: a plan's layers, directions and unit vectors are worked out once per plan
/// instance (plans are immutable) and the per-layer work lives in reused buffers indexed by layer.
/// </remarks>
public sealed class PlanSchedule
{
    private readonly int _lastLayer;
    private readonly int _embd;
    private readonly ConditionalWeakTable<SteeringPlan, CompiledPlan> _compiled = new();
    private readonly LayerWork?[] _byLayer;
    private readonly List<int> _activeLayers = [];
    private float[] _rows = [];
    // Per-token steering report: for each output entry of the batch, one (applied, projection, layers) slot per term.
    private int[] _reportOffset = [];
    private int[] _reportTerms = [];
    private float[] _applied = [];
    private float[] _projection = [];
    private int[] _layersSeen = [];
    private int _reportCount;
    private int _entryCount;

    public PlanSchedule(int layerCount, int embeddingSize)
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
        if (_reportOffset.Length < entries.Count)
        {
            _reportOffset = new int[Math.Max(entries.Count, 2 * _reportOffset.Length)];
            _reportTerms = new int[_reportOffset.Length];
        }
        _reportCount = 0;
        _entryCount = entries.Count;
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            _reportOffset[i] = -1;
            var lastLayerRow = e.Output ? outputRow++ : -1;
            if (!plans.TryGetValue(e.Sequence, out var s) || s.Plan.IsEmpty) continue;
            var terms = Compile(s.Plan).Terms;
            var report = e.Output ? ReserveReport(i, terms.Length) : -1;
            for (var j = 0; j < terms.Length; j++)
            {
                var t = terms[j];
                if (!t.Applies(e.Position, s.PromptLength)) continue;
                foreach (var layer in t.Layers)
                {
                    // The last layer's l_out only holds the rows that produce output.
                    var row = layer == _lastLayer ? lastLayerRow : i;
                    if (row < 0) continue;
                    var work = _byLayer[layer] ??= new LayerWork();
                    if (work.IsEmpty) _activeLayers.Add(layer);
                    work.Add(row, t, report < 0 ? -1 : report + j);
                }
            }
        }
    }

    private int ReserveReport(int entry, int terms)
    {
        var start = _reportCount;
        _reportCount += terms;
        if (_applied.Length < _reportCount)
        {
            var size = Math.Max(_reportCount, 2 * _applied.Length);
            Array.Resize(ref _applied, size);
            Array.Resize(ref _projection, size);
            Array.Resize(ref _layersSeen, size);
        }
        Array.Clear(_applied, start, terms);
        Array.Clear(_projection, start, terms);
        Array.Clear(_layersSeen, start, terms);
        _reportOffset[entry] = start;
        _reportTerms[entry] = terms;
        return start;
    }

    /// <summary>
    /// What the last decode did to the output row of batch entry <paramref name="entry"/>, one value per term of its
    /// sequence's plan (in the plan's order), or null when the entry had no plan or produced no output. A term's
    /// applied strength is its coefficient along the direction at that row — s for a plain add, s·c(h) under a
    /// contextual strength, −h·û for ablate, t − h·û for clamp — and its projection is h·û before the term acted,
    /// both averaged over the term's steered layers; a term whose window left the row out reads 0 and NaN.
    /// Valid until the next <see cref="Prepare"/>.
    /// </summary>
    public TokenSteering? Report(int entry)
    {
        if (entry < 0 || entry >= _entryCount || _reportOffset[entry] < 0) return null;
        var start = _reportOffset[entry];
        var n = _reportTerms[entry];
        var applied = new float[n];
        var projection = new float[n];
        for (var j = 0; j < n; j++)
        {
            var seen = _layersSeen[start + j];
            applied[j] = seen == 0 ? 0 : _applied[start + j] / seen;
            projection[j] = seen == 0 ? float.NaN : _projection[start + j] / seen;
        }
        return new TokenSteering(applied, projection);
    }

    /// <summary>Whether the prepared decode steers residual layer <paramref name="layer"/> (-1: not a residual-stream tensor).</summary>
    public bool Wants(int layer) => layer >= 0 && layer < _byLayer.Length && _byLayer[layer] is { IsEmpty: false };

    /// <summary>
    /// Applies the prepared terms to the computed l_out of layer <paramref name="il"/> (which <see cref="Wants"/> asked for).
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor is not contiguous F32 of n_embd rows, or has fewer rows than the batch planned.</exception>
    public void Apply<TRows>(int il, scoped in TRows tensor) where TRows : IResidualRows, allows ref struct
    {
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
                for (var j = termStart; j < termStart + termCount; j++)
                {
                    var (applied, projection) = Apply(work.Terms[j], il, h, work.Reports[j] >= 0);
                    if (work.Reports[j] is var r and >= 0)
                    {
                        _applied[r] += applied;
                        _projection[r] += projection;
                        _layersSeen[r]++;
                    }
                }
            }
            tensor.WriteRows(first, count, data);
            start = end;
        }
    }

    /// <summary>Applies one term to one row; returns its coefficient and, when <paramref name="report"/>, h·û before it acted (else NaN).</summary>
    private static (float Applied, float Projection) Apply(CompiledTerm t, int layer, Span<float> h, bool report)
    {
        var term = t.Term;
        switch (term.Operator)
        {
            case SteeringOperator.Add:
                var projection = report && t.HasDirection(layer) ? TensorPrimitives.Dot(h, t.Unit(layer)) : float.NaN;
                var coefficient = term.Contextual is { } c ? term.Strength * c.Coefficient(layer, h) : term.Strength;
                if (coefficient != 0) TensorPrimitives.MultiplyAdd(t.Direction(layer), coefficient, h, h);
                return (coefficient, projection);
            case SteeringOperator.Ablate:
            {
                var u = t.Unit(layer);
                var p = TensorPrimitives.Dot(h, u);
                TensorPrimitives.MultiplyAdd(u, -p, h, h);
                return (-p, p);
            }
            case SteeringOperator.Clamp:
            {
                var u = t.Unit(layer);
                var p = TensorPrimitives.Dot(h, u);
                TensorPrimitives.MultiplyAdd(u, term.Strength - p, h, h);
                return (term.Strength - p, p);
            }
            default:
                return (0, float.NaN);
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

        /// <summary>False for a zero direction (an add of it does nothing and has no unit vector).</summary>
        public bool HasDirection(int layer) => Term.Vector.Norm(layer) > 0;

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

        /// <summary>Per term entry: where its report accumulates, or -1 when the row produces no output.</summary>
        public int[] Reports = new int[8];
        public int RowCount;
        private int _termCount;

        public bool IsEmpty => RowCount == 0;

        /// <summary>Adds a term to a row; terms for one row arrive together, so a repeated row extends the last entry.</summary>
        public void Add(int row, CompiledTerm term, int report)
        {
            if (_termCount == Terms.Length)
            {
                Array.Resize(ref Terms, Terms.Length * 2);
                Array.Resize(ref Reports, Reports.Length * 2);
            }
            Reports[_termCount] = report;
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
