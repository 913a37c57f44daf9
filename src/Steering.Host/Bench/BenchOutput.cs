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
        sb.AppendLine();
        sb.AppendLine("| row | median | min | max | runs | ratio | vs |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var x in r.Rows)
            sb.AppendLine($"| {x.Name} | {x.Median:F1} {x.Unit} | {x.Min:F1} | {x.Max:F1} | {x.Runs} | {(x.Ratio is { } q ? $"{q:F3}x" : "")} | {x.BaselineName ?? ""} |");
        return sb.ToString();
    }
}
