using System.Globalization;
using LlamaSteer.Evaluation;

namespace LlamaSteer.Host.Reports;

/// <summary>The columns of the eval summary, shared by the terminal table and the HTML table.</summary>
internal static class EvalColumns
{
    public sealed record Row(string Vector, string Layers, string Strength, SweepMetrics Metrics, bool Recommended);

    /// <summary>The baseline row first, then every cell.</summary>
    public static IReadOnlyList<Row> Rows(SweepReport report) =>
    [
        new("(unsteered)", "-", "-", report.Baseline, false),
        .. report.Cells.Select(c => new Row(c.Candidate, c.Layers, Number(c.Strength), c.Metrics,
            report.Recommendation is { } r && r.Candidate == c.Candidate && r.Layers == c.Layers && r.Strength == c.Strength)),
    ];

    /// <summary>Header and cell texts; columns of measurements that were not taken are left out.</summary>
    public static (IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Cells) Table(SweepReport report)
    {
        var rows = Rows(report);
        var columns = new List<(string Name, Func<Row, string> Cell)>
        {
            ("vector", r => r.Vector),
            ("layers", r => r.Layers),
            ("strength", r => r.Strength),
        };
        if (report.ProbePositive is not null)
        {
            columns.Add(("log-odds", r => Fixed(r.Metrics.LogOdds)));
            columns.Add(("shift", r => Signed(r.Metrics.Shift)));
        }
        if (report.Keywords.Count > 0)
        {
            columns.Add(("concept rate", r => Percent(r.Metrics.ConceptRate)));
            columns.Add(("keywords/gen", r => Fixed(r.Metrics.KeywordsPerGeneration)));
        }
        if (report.Baseline.NeutralPerplexity is not null)
        {
            columns.Add(("neutral ppl", r => Fixed(r.Metrics.NeutralPerplexity)));
            columns.Add(("ppl ratio", r => Fixed(r.Metrics.PerplexityRatio)));
        }
        columns.Add(("gen ppl", r => Fixed(r.Metrics.GenerationPerplexity)));
        foreach (var check in report.Checks)
            columns.Add((check, r => Percent(r.Metrics.CheckPassRates.TryGetValue(check, out var v) ? v : null)));
        columns.Add(("", r => r.Recommended ? "<= recommended" : ""));
        return (columns.Select(c => c.Name).ToArray(), rows.Select(r => (IReadOnlyList<string>)columns.Select(c => c.Cell(r)).ToArray()).ToArray());
    }

    public static string Number(float v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Fixed(double? v) => v is { } x ? x.ToString("F2", CultureInfo.InvariantCulture) : "-";

    private static string Signed(double? v) => v is { } x ? x.ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture) : "-";

    private static string Percent(double? v) => v is { } x ? (x * 100).ToString("F0", CultureInfo.InvariantCulture) + "%" : "-";
}
