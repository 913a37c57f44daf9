namespace LlamaSteer.Host.Bench;

/// <summary>
/// The rows of a benchmark and how they are timed. Rows run round-robin: two warm-up rounds (JIT tiering,
/// caches), then <c>runs</c> timed rounds, so slow drift of the machine touches every row alike. In a timed
/// round each row runs right after fresh runs of the rows it is compared with (its baseline and plain decode
/// of its batch size), and each ratio is the median over rounds of such back-to-back pairs: on a shared
/// machine whose speed wanders from minute to minute, runs seconds apart share its state, runs a round
/// apart need not.
/// </summary>
internal sealed class BenchSchedule
{
    private sealed record Planned(string Name, string Unit, string? Baseline, int? BatchSize, string Note, Func<double> Run);

    private readonly List<Planned> _rows = [];
    private readonly Dictionary<int, string> _plainDecode = [];

    /// <summary>
    /// Adds plain decode of a batch size: the row every other row of that batch size is also compared with.
    /// A <paramref name="baseline"/> (plain decode of batch 1) makes its ratio the most batching can give.
    /// </summary>
    public string AddPlainDecode(int batchSize, string note, Func<double> run, string? baseline = null)
    {
        var name = Add($"decode, batch {batchSize}", "tok/s", baseline, batchSize, note, run);
        _plainDecode[batchSize] = name;
        return name;
    }

    public string Add(string name, string unit, string? baseline, int? batchSize, string note, Func<double> run)
    {
        _rows.Add(new Planned(name, unit, baseline, batchSize, note, run));
        return name;
    }

    /// <summary>Keeps only the rows whose name contains one of <paramref name="texts"/>, and the rows they are compared with.</summary>
    public void Keep(IReadOnlyList<string> texts)
    {
        if (texts.Count == 0) return;
        var keep = _rows.Where(p => texts.Any(o => p.Name.Contains(o, StringComparison.OrdinalIgnoreCase))).Select(p => p.Name).ToHashSet();
        for (var added = true; added;)
        {
            added = false;
            foreach (var p in _rows.Where(p => keep.Contains(p.Name)).ToList())
                foreach (var c in Comparisons(p)) added |= keep.Add(c);
        }
        _rows.RemoveAll(p => !keep.Contains(p.Name));
    }

    public List<BenchRow> Execute(int runs, TextWriter progress, CancellationToken ct)
    {
        var index = _rows.Select((p, i) => (p.Name, i)).ToDictionary(x => x.Name, x => x.i);
        var values = _rows.Select(_ => new List<double>()).ToList();
        var pairs = _rows.Select(_ => new Dictionary<string, List<(double Row, double Other)>>()).ToList();
        for (var round = -2; round < runs; round++)
        {
            progress.WriteLine(round < 0 ? $"  warm-up round {round + 3} of 2" : $"  round {round + 1} of {runs}");
            for (var i = 0; i < _rows.Count; i++)
            {
                ct.ThrowIfCancellationRequested();
                if (round < 0)
                {
                    _rows[i].Run();
                    continue;
                }
                var before = new Dictionary<string, double>();
                foreach (var c in Comparisons(_rows[i]))
                {
                    before[c] = _rows[index[c]].Run();
                    values[index[c]].Add(before[c]);
                }
                var v = _rows[i].Run();
                values[i].Add(v);
                foreach (var (c, b) in before)
                {
                    if (!pairs[i].TryGetValue(c, out var list)) pairs[i][c] = list = [];
                    list.Add((v, b));
                }
            }
        }
        return _rows.Select((p, i) =>
        {
            var v = values[i];
            var plain = PlainFor(p);
            var (ratio, spread) = RatioTo(p.Baseline);
            var (plainRatio, plainSpread) = RatioTo(plain);
            return new BenchRow(p.Name, p.Unit, Median(v), v.Min(), v.Max(), v.Count, p.Baseline, ratio, BestTo(p.Baseline), p.BatchSize, plain, plainRatio, p.Note, spread, plainSpread);
            // The median and interquartile range of the per-round ratios against one compared row.
            (double? Median, Quartiles? Spread) RatioTo(string? other)
            {
                if (other is null || !pairs[i].TryGetValue(other, out var r)) return (null, null);
                var ratios = r.Select(x => x.Row / x.Other).ToList();
                return (Median(ratios), new Quartiles(Quantile(ratios, 0.25), Quantile(ratios, 0.75)));
            }
            // Against the baseline's runs paired with this row only: the fastest of more runs would be biased upwards.
            double? BestTo(string? other) => other is not null && pairs[i].TryGetValue(other, out var r) ? r.Max(x => x.Row) / r.Max(x => x.Other) : null;
        }).ToList();
    }

    private string? PlainFor(Planned p) => p.BatchSize is { } b && _plainDecode.TryGetValue(b, out var n) && n != p.Name ? n : null;

    private IEnumerable<string> Comparisons(Planned p) =>
        new[] { PlainFor(p), p.Baseline }.OfType<string>().Distinct();

    private static double Median(List<double> values) => Quantile(values, 0.5);

    /// <summary>The q-quantile, interpolating linearly between order statistics (R's type 7).</summary>
    internal static double Quantile(IReadOnlyList<double> values, double q)
    {
        var v = values.Order().ToList();
        var h = (v.Count - 1) * q;
        var lo = (int)Math.Floor(h);
        return lo + 1 < v.Count ? v[lo] + (h - lo) * (v[lo + 1] - v[lo]) : v[lo];
    }
}
