using System.Globalization;
using System.Net;
using System.Text;
using LlamaSteer.Evaluation;

namespace LlamaSteer.Host.Reports;

/// <summary>
/// The eval report as one self-contained HTML page: the recommendation, the settings, inline SVG plots
/// (effect, concept rate, fluency cost and generation perplexity against strength, one line per vector and
/// layer row), the table of every cell, and the generations. No script, no network.
/// </summary>
internal static class EvalHtml
{
    public static string Render(SweepReport report)
    {
        var h = new StringBuilder();
        h.AppendLine("<!DOCTYPE html>");
        h.AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        h.AppendLine($"<title>LlamaSteer eval: {Esc(string.Join(", ", report.Candidates))} on {Esc(report.Model)}</title>");
        h.AppendLine("""
            <style>
            body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1180px; color: #222; padding: 0 16px; }
            h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
            .rec { background: #eef6ee; border-left: 5px solid #2e7d32; padding: 10px 14px; font-size: 15px; }
            .rec.none { background: #fdf0e6; border-left-color: #d55e00; }
            dl { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; font-size: 13px; }
            dt { color: #666; } dd { margin: 0; }
            .plots { display: flex; flex-wrap: wrap; gap: 12px; }
            .plots figure { margin: 0; border: 1px solid #ddd; padding: 4px; }
            figcaption { font-size: 12px; color: #555; max-width: 550px; padding: 2px 4px; }
            table { border-collapse: collapse; font-size: 13px; }
            th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: right; white-space: nowrap; }
            th:nth-child(-n+3), td:nth-child(-n+3) { text-align: left; }
            tr.baseline td { background: #f3f3f3; } tr.recommended td { background: #e3f2e3; font-weight: bold; }
            details { margin: 4px 0; font-size: 13px; } summary { cursor: pointer; }
            .gen { font-family: ui-monospace, monospace; white-space: pre-wrap; margin: 2px 0 2px 16px; }
            .prompt { color: #888; }
            </style>
            </head><body>
            """);
        h.AppendLine($"<h1>LlamaSteer eval: {Esc(string.Join(", ", report.Candidates))} on {Esc(report.Model)}</h1>");
        h.AppendLine($"<p class=\"rec{(report.Recommendation is null ? " none" : "")}\">{Esc(report.RecommendationText)}</p>");
        Settings(h, report);
        Plots(h, report);
        h.AppendLine("<h2>Every setting</h2>");
        Table(h, report);
        Generations(h, report);
        h.AppendLine("</body></html>");
        return h.ToString();
    }

    private static void Settings(StringBuilder h, SweepReport r)
    {
        h.AppendLine("<h2>Settings</h2><dl>");
        void Item(string k, string v) => h.AppendLine($"<dt>{Esc(k)}</dt><dd>{Esc(v)}</dd>");
        Item("model", r.Model);
        Item("vectors", string.Join(", ", r.Candidates));
        Item("layer rows", string.Join("; ", r.LayerRows));
        Item("strengths", string.Join(", ", r.Strengths.Select(EvalColumns.Number)));
        Item("prompts", $"{r.Prompts.Count}: " + string.Join(" | ", r.Prompts.Take(4)) + (r.Prompts.Count > 4 ? " | ..." : ""));
        if (r.ProbePositive is not null) Item("probe", $"log p(\"{r.ProbePositive}\") - log p(\"{r.ProbeNegative}\") of the next token after each prompt");
        if (r.Keywords.Count > 0) Item("keywords", string.Join(", ", r.Keywords) + " (case-insensitive, at word starts)");
        if (r.Checks.Count > 0) Item("checks", string.Join(", ", r.Checks));
        Item("generations", $"{r.Samples} per prompt and setting, {r.MaxTokens} tokens, temperature {r.Temperature.ToString(CultureInfo.InvariantCulture)}, seeds from {r.Seed}");
        Item("effect", r.EffectMeasure);
        Item("fluency bound", $"neutral-text perplexity at most {r.MaxPerplexityRatio.ToString(CultureInfo.InvariantCulture)} times the unsteered one");
        h.AppendLine("</dl>");
    }

    private static void Plots(StringBuilder h, SweepReport r)
    {
        h.AppendLine("<h2>Effect and cost against strength</h2><div class=\"plots\">");
        var rows = r.Cells.GroupBy(c => (c.Candidate, c.Layers)).ToList();
        string Name((string Candidate, string Layers) k) =>
            (r.Candidates.Count > 1 ? k.Candidate + " " : "") + (k.Layers.Contains(',') || k.Layers.Contains('-') ? "layers " : "layer ") + k.Layers;
        IReadOnlyList<ChartSeries> Series(Func<SweepMetrics, double?> value) =>
            rows.Select(g => new ChartSeries(Name(g.Key), g.Where(c => value(c.Metrics) is not null).Select(c => ((double)c.Strength, value(c.Metrics)!.Value)).ToArray())).ToArray();
        void Figure(string svg, string caption) => h.AppendLine($"<figure>{svg}<figcaption>{Esc(caption)}</figcaption></figure>");

        if (r.ProbePositive is not null)
            Figure(SvgLineChart.Render("Effect: probe log-odds shift", "strength", $"shift of log p({r.ProbePositive}) - log p({r.ProbeNegative})", Series(m => m.Shift), [new ChartReference(0, "unsteered")]),
                "How far the next-token log-odds of the positive probe word over the negative one moves from the unsteered model, averaged over the prompts.");
        if (r.Keywords.Count > 0)
            Figure(SvgLineChart.Render("Concept rate in generations", "strength", "share with a keyword", Series(m => m.ConceptRate), [new ChartReference(r.Baseline.ConceptRate ?? 0, "unsteered")]),
                $"Share of sampled generations holding any of: {string.Join(", ", r.Keywords)}.");
        if (r.Baseline.NeutralPerplexity is not null)
            Figure(SvgLineChart.Render("Fluency cost: neutral-text perplexity ratio", "strength", "perplexity / unsteered perplexity", Series(m => m.PerplexityRatio),
                    [new ChartReference(r.MaxPerplexityRatio, $"bound {r.MaxPerplexityRatio.ToString(CultureInfo.InvariantCulture)}"), new ChartReference(1, "unsteered")]),
                "Perplexity of a held-out neutral text under the steering, over its unsteered perplexity. Settings above the bound are never recommended.");
        Figure(SvgLineChart.Render("Perplexity of the steered generations", "strength", "perplexity under the unsteered model", Series(m => m.GenerationPerplexity),
                r.Baseline.GenerationPerplexity is { } g ? [new ChartReference(g, "unsteered generations")] : []),
            "How surprising the steered generations are to the unsteered model (higher: less like its own text).");
        h.AppendLine("</div>");
    }

    private static void Table(StringBuilder h, SweepReport r)
    {
        var (header, cells) = EvalColumns.Table(r);
        var rows = EvalColumns.Rows(r);
        h.AppendLine("<table><thead><tr>" + string.Concat(header.Select(c => $"<th>{Esc(c)}</th>")) + "</tr></thead><tbody>");
        for (var i = 0; i < cells.Count; i++)
        {
            var cls = i == 0 ? " class=\"baseline\"" : rows[i].Recommended ? " class=\"recommended\"" : "";
            h.AppendLine($"<tr{cls}>" + string.Concat(cells[i].Select(c => $"<td>{Esc(c)}</td>")) + "</tr>");
        }
        h.AppendLine("</tbody></table>");
    }

    private static void Generations(StringBuilder h, SweepReport r)
    {
        h.AppendLine("<h2>Generations</h2>");
        foreach (var row in EvalColumns.Rows(r))
        {
            var label = row.Vector == "(unsteered)" ? "unsteered" : $"{row.Vector}, layers {row.Layers}, strength {row.Strength}";
            h.AppendLine($"<details{(row.Recommended || row.Vector == "(unsteered)" ? " open" : "")}><summary>{Esc(label)}</summary>");
            foreach (var g in row.Metrics.Generations)
                h.AppendLine($"<div class=\"gen\"><span class=\"prompt\">{Esc(r.Prompts[g.Prompt])}</span>{Esc(g.Text)}</div>");
            h.AppendLine("</details>");
        }
    }

    private static string Esc(string s) => WebUtility.HtmlEncode(s);
}
