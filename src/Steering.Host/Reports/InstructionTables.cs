using System.Globalization;
using System.Text;
using System.Text.Json;
using LlamaSteer.Evaluation.Instructions;

namespace LlamaSteer.Host.Reports;

/// <summary>The instruction-steering report as plain-text tables (validation sweep, held-out results, compositions) and as JSON.</summary>
internal static class InstructionTables
{
    public static string Render(InstructionSet set, IReadOnlyList<InstructionReport> reports, IReadOnlyList<CompositionReport> compositions, double bound)
    {
        var s = new StringBuilder();
        s.AppendLine($"validation ({set.Validation.Count} prompts without the instruction): pass rate by layer and operator, neutral-text perplexity ratio in brackets");
        foreach (var r in reports)
        {
            s.Append($"  {r.Instruction.Name,-18} unsteered {Pct(r.ValidationBaseline.PassRate)}");
            foreach (var v in r.Validation) s.Append($" | @{v.Layer} {v.Operator} {Pct(v.PassRate)} ({v.PerplexityRatio:F2})");
            s.AppendLine();
        }
        s.AppendLine();
        s.AppendLine($"held out ({set.Test.Count} test prompts): pass rate of each instruction's checker (validation: unsteered -> the picked setting, on the validation prompts); fluency: neutral-text perplexity ratio of the steering / perplexity of the generations under the unsteered model");
        var header = $"{"instruction",-18}  {"layer",5}  {"operator",-16}  {"validation",10}  {"without",7}  {"steered",7}  {"in prompt",9}  {"both",5}  {"ppl ratio",9}  {"gen ppl: without",16}  {"steered",7}  {"in prompt",9}  {"both",5}";
        s.AppendLine(header);
        s.AppendLine(new string('-', header.Length));
        foreach (var r in reports)
        {
            var c = r.Chosen;
            s.AppendLine($"{r.Instruction.Name,-18}  {(c is null ? "-" : c.Layer.ToString(CultureInfo.InvariantCulture)),5}  {c?.Operator ?? "none <= " + bound.ToString("0.##", CultureInfo.InvariantCulture),-16}  " +
                         $"{Pct(r.ValidationBaseline.PassRate) + "->" + Pct(c?.PassRate),10}  " +
                         $"{Pct(r.Without.PassRate),7}  {Pct(r.Steered?.PassRate),7}  {Pct(r.InPrompt.PassRate),9}  {Pct(r.Both?.PassRate),5}  {Num(r.Steered?.PerplexityRatio),9}  " +
                         $"{Num(r.Without.GenerationPerplexity),16}  {Num(r.Steered?.GenerationPerplexity),7}  {Num(r.InPrompt.GenerationPerplexity),9}  {Num(r.Both?.GenerationPerplexity),5}");
        }
        foreach (var comp in compositions)
        {
            s.AppendLine();
            s.AppendLine($"composition {string.Join(" + ", comp.Instructions)} on the test prompts: joint pass rate (every instruction followed), each instruction's rate, fluency");
            var shared = comp.Cosines.Count == 0
                ? "the vectors share no layer, so orthogonalising changes nothing"
                : string.Join("; ", comp.Cosines.Select(x => $"cos({x.A}, {x.B}) on layer {x.Layer} = {x.Cosine:F2}"));
            s.AppendLine($"  ({shared})");
            foreach (var r in comp.Conditions)
                s.AppendLine($"  {r.Name,-44} joint {Pct(r.PassRate),5}  " + string.Join("  ", r.InstructionPassRates.Select(kv => $"{kv.Key} {Pct(kv.Value)}")) +
                             $"  ppl ratio {r.PerplexityRatio:F2}  gen ppl {Num(r.GenerationPerplexity)}");
        }
        return s.ToString();
    }

    public static string Json(string model, InstructionSet set, IReadOnlyList<InstructionReport> reports, IReadOnlyList<CompositionReport> compositions, ComplianceSettings settings)
    {
        var doc = new
        {
            model,
            set = set.Name,
            split = new { train = set.Train, validation = set.Validation, test = set.Test },
            settings = new { settings.MaxTokens, settings.Samples, settings.Sampling.Temperature, settings.Seed },
            instructions = reports.Select(r => new
            {
                name = r.Instruction.Name,
                instruction = r.Instruction.Text,
                checks = r.Instruction.Checks.Select(c => c.Name),
                validationUnsteered = r.ValidationBaseline.PassRate,
                validation = r.Validation,
                chosen = r.Chosen,
                without = r.Without,
                steered = r.Steered,
                inPrompt = r.InPrompt,
                both = r.Both,
            }),
            compositions = compositions.Select(c => new
            {
                instructions = c.Instructions,
                parts = c.Parts.Select(p => new { p.Name, p.Weight, layers = p.Layers?.ToString() }),
                cosines = c.Cosines.Select(x => new { a = x.A, b = x.B, layer = x.Layer, cosine = x.Cosine }),
                conditions = c.Conditions,
            }),
        };
        return JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
    }

    private static string Pct(double? v) => v is { } x ? (x * 100).ToString("0", CultureInfo.InvariantCulture) + "%" : "-";

    private static string Num(double? v) => v is { } x ? x.ToString(x >= 100 ? "0" : "0.00", CultureInfo.InvariantCulture) : "-";
}
