using System.Text;
using System.Text.Json;

namespace LlamaSteer.Host.Bench;

/// <summary>Writes a report as JSON and as a markdown table.</summary>
internal static class BenchOutput
{
    public static string Json(BenchReport r) => JsonSerializer.Serialize(r, new JsonSerializerOptions { WriteIndented = true });

    public static string Markdown(BenchReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# Benchmark: {r.Model}");
        sb.AppendLine();
        sb.AppendLine($"{r.Architecture}, {r.Parameters:N0} parameters, {r.ModelType}; {r.Threads} thread(s), context {r.ContextSize}.");
        sb.AppendLine($"Machine: {r.Cpu}, {r.Cores} cores, {r.Os}; {r.Runtime}; llama.cpp {r.LlamaCpp}; {r.DateUtc}.");
        var steal = r.StealPercent is { } stolen ? $"; {stolen:F1}% of CPU time stolen by the hypervisor during the run" : "";
        sb.AppendLine($"Load average (1/5/15 min) {r.LoadBefore} at the start, {r.LoadAfter} at the end{steal}; {r.Seconds:F0} s in all.");
        sb.AppendLine();
        sb.AppendLine("| row | median | min | max | runs | ratio | best/best | vs | ratio to plain decode, same batch |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
        foreach (var x in r.Rows)
            sb.AppendLine($"| {x.Name} | {x.Median:F1} {x.Unit} | {x.Min:F1} | {x.Max:F1} | {x.Runs} | {Ratio(x.Ratio, x.RatioSpread)} | {Ratio(x.BestRatio)} | {x.BaselineName ?? ""} | {Ratio(x.PlainRatio, x.PlainRatioSpread)} |");
        sb.AppendLine();
        sb.AppendLine("Rows run round-robin after two warm-up rounds; in each round a row runs right after fresh runs of the rows it is compared with, " +
            "and a ratio is the median over rounds of those back-to-back pairs, with the middle half of the per-round ratios in brackets (interquartile range). Medians, minima and maxima are over all of a row's runs (baselines run more often); " +
            "best/best is the row's fastest run over the fastest of the baseline runs paired with it, the runs least disturbed by other work on the machine.");
        if (r.Pending.Count > 0)
        {
            sb.AppendLine();
            foreach (var p in r.Pending) sb.AppendLine($"- {p}");
        }
        return sb.ToString();
    }

    private static string Ratio(double? q, Quartiles? spread = null) =>
        q is not { } v ? "" : spread is { } s ? $"{v:F3}x ({s.Low:F3}-{s.High:F3})" : $"{v:F3}x";
}
