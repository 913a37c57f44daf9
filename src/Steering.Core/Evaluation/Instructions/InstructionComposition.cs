using LlamaSteer.Models;
using LlamaSteer.Steering;

namespace LlamaSteer.Evaluation.Instructions;

/// <summary>
/// Joint compliance with several instructions on the held-out prompts: the share of generations that follow
/// all of them, without steering, steered by each vector alone, by all of them together (plain and
/// orthogonalised per layer by Gram-Schmidt in the given order), and with all the instructions written in the
/// prompt; each with its fluency cost. Every vector is added at its own layer and strength: the best fixed
/// strength its validation sweep found. <see cref="Cosines"/> says how much they overlap where they share a layer.
/// </summary>
public sealed record CompositionReport(IReadOnlyList<string> Instructions, IReadOnlyList<ComposedVector> Parts, IReadOnlyList<ComplianceResult> Conditions, IReadOnlyList<(string A, string B, int Layer, double Cosine)> Cosines);

/// <summary>Runs <see cref="CompositionReport"/>'s conditions. Not thread-safe.</summary>
public static class InstructionComposition
{
    /// <exception cref="ArgumentException">Fewer than two instructions, or one whose sweep had no fixed-strength setting under the fluency bound.</exception>
    public static CompositionReport Run(LlamaModel model, InstructionSet set, IReadOnlyList<InstructionReport> reports, IReadOnlyList<string> names, InstructionSearchSettings search, ComplianceSettings compliance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count < 2 || names.Distinct().Count() != names.Count) throw new ArgumentException("--compose-instructions needs two or more different instructions of the set.");
        var parts = names.Select(n =>
        {
            var r = reports.FirstOrDefault(x => x.Instruction.Name == n) ?? throw new ArgumentException($"The instruction set {set.Name} has no instruction '{n}'; it has {string.Join(", ", set.Instructions.Select(i => i.Name))}.");
            var best = InstructionSearch.Best(r.Validation.Where(s => !s.AdjustToTarget), search.MaxPerplexityRatio)
                ?? throw new ArgumentException($"Composition adds each vector at its best fixed strength, but '{n}' has no fixed-strength setting under the fluency bound: give --strengths.");
            return new ComposedVector(n, r.Vector, best.Strength, LayerSet.Of([best.Layer]));
        }).ToArray();
        var instructions = names.Select(n => set[n]).ToArray();
        var orthogonal = Composition.Orthogonalise(parts);

        var test = set.Test.Select(search.Format).ToArray();
        var written = set.Test.Select(p => search.Format(instructions.Aggregate(p, (text, i) => i.WrittenInto(text)))).ToArray();
        var conditions = new List<ComplianceCondition> { new("unsteered", SteeringPlan.None, test, instructions) };
        conditions.AddRange(parts.Select(p => new ComplianceCondition($"{p.Name} alone (add {p.Weight:0.###} @{p.Layers})", Composition.Plan([p]), test, instructions)));
        conditions.Add(new ComplianceCondition("all together", Composition.Plan(parts), test, instructions));
        conditions.Add(new ComplianceCondition("all together, orthogonalised", Composition.Plan(orthogonal), test, instructions));
        conditions.Add(new ComplianceCondition("all written in the prompt", SteeringPlan.None, written, instructions));
        var results = ComplianceRun.Measure(model, conditions, compliance, cancellationToken);

        var cosines = new List<(string, string, int, double)>();
        for (var a = 0; a < parts.Length; a++)
            for (var b = a + 1; b < parts.Length; b++)
                foreach (var layer in parts[a].EffectiveLayers.Intersect(parts[b].EffectiveLayers))
                    cosines.Add((parts[a].Name, parts[b].Name, layer, Composition.Cosine(parts[a].Vector.Direction(layer), parts[b].Vector.Direction(layer))));
        return new CompositionReport(names, parts, results, cosines);
    }
}
