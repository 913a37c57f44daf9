using LlamaSteer.Models;
using LlamaSteer.Steering;

namespace LlamaSteer.Evaluation;

/// <summary>A vector of a composition with the probe that measures its own concept.</summary>
public sealed record ProbedVector(ComposedVector Part, ProbeTokens Probe, IReadOnlyList<string> Prompts);

/// <summary>The cosine between two vectors of a composition on a layer both steer.</summary>
public sealed record LayerCosine(int Layer, string First, string Second, double Cosine);

/// <summary>
/// How much of one vector's effect on its own probe survives the composition. A shift is the probe's mean
/// log-odds with steering minus without (strength s minus strength 0).
/// </summary>
/// <param name="AloneShift">The vector as given, alone, at its weight.</param>
/// <param name="AppliedAloneShift">The vector as applied in the composition (after orthogonalisation, if any), alone.</param>
/// <param name="OthersShift">All the other vectors of the composition together, without this one: what they do to this probe.</param>
/// <param name="CombinedShift">Every vector of the composition together.</param>
public sealed record PartSurvival(string Name, string Positive, string Negative, double AloneShift, double AppliedAloneShift, double OthersShift, double CombinedShift)
{
    /// <summary>CombinedShift / AloneShift: 1 when the composition keeps the whole individual effect (NaN or huge when AloneShift is near 0).</summary>
    public double Survival => CombinedShift / AloneShift;
}

/// <summary>Cosines between the vectors (as given and as applied) and each vector's surviving effect.</summary>
public sealed record InterferenceReport(bool Orthogonalised, IReadOnlyList<LayerCosine> Cosines, IReadOnlyList<LayerCosine> AppliedCosines, IReadOnlyList<PartSurvival> Parts);

/// <summary>
/// Measures interference between steering vectors applied together: per layer, the cosine between every
/// two of them; per vector, its shift on its own next-token probe alone and within the composition.
/// All settings of all probes are decoded in one pass (<see cref="SteeredScorer"/>). Not thread-safe.
/// </summary>
public static class Interference
{
    /// <summary>Pairwise cosines on every layer both vectors steer, in (layer, first, second) order.</summary>
    public static IReadOnlyList<LayerCosine> Cosines(IReadOnlyList<ComposedVector> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var result = new List<LayerCosine>();
        var layers = parts.SelectMany(p => p.EffectiveLayers).Distinct().Order();
        foreach (var layer in layers)
            for (var i = 0; i < parts.Count; i++)
                for (var j = i + 1; j < parts.Count; j++)
                    if (parts[i].EffectiveLayers.Contains(layer) && parts[j].EffectiveLayers.Contains(layer))
                        result.Add(new LayerCosine(layer, parts[i].Name, parts[j].Name,
                            Composition.Cosine(parts[i].Vector.Direction(layer), parts[j].Vector.Direction(layer))));
        return result;
    }

    /// <param name="orthogonalise">Apply the vectors orthogonalised in the given order (<see cref="Composition.Orthogonalise"/>, norms kept).</param>
    /// <exception cref="ArgumentException">No vectors, a probe without prompts, or an invalid plan.</exception>
    public static InterferenceReport Measure(LlamaModel model, IReadOnlyList<ProbedVector> parts, bool orthogonalise, int? threads = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("No vectors to compose.");
        if (parts.FirstOrDefault(p => p.Prompts.Count == 0) is { } empty) throw new ArgumentException($"The probe of {empty.Part.Name} has no prompts.");
        var given = parts.Select(p => p.Part).ToList();
        var applied = orthogonalise ? Composition.Orthogonalise(given) : given;
        var combined = Composition.Plan(applied);

        // Per vector: unsteered, alone as given, alone as applied, the others, all; each on its prompts.
        var settings = parts.Select((p, i) => new[]
        {
            SteeringPlan.None,
            new SteeringPlan([given[i].Term()]),
            new SteeringPlan([applied[i].Term()]),
            applied.Count > 1 ? Composition.Plan(applied.Where((_, j) => j != i).ToList()) : SteeringPlan.None,
            combined,
        }).ToArray();
        var scorer = new SteeredScorer(model, threads);
        var results = new List<PartSurvival>();
        var sequences = new List<(int[] Tokens, SteeringPlan Plan)>();
        var owners = new List<(int Part, int Setting, ProbeTokens Probe)>();
        for (var i = 0; i < parts.Count; i++)
            for (var s = 0; s < settings[i].Length; s++)
                foreach (var prompt in parts[i].Prompts)
                {
                    sequences.Add((model.Tokenize(prompt), settings[i][s]));
                    owners.Add((i, s, parts[i].Probe));
                }

        var diffs = new double[sequences.Count];
        scorer.LastLogits(sequences, (seq, _, logits) => diffs[seq] = ConceptEffect.LogProbDifference(logits, owners[seq].Probe), cancellationToken);
        for (var i = 0; i < parts.Count; i++)
        {
            var mean = Enumerable.Range(0, settings[i].Length)
                .Select(s => Enumerable.Range(0, sequences.Count).Where(k => owners[k].Part == i && owners[k].Setting == s).Average(k => diffs[k]))
                .ToArray();
            results.Add(new PartSurvival(parts[i].Part.Name, parts[i].Probe.PositiveWord, parts[i].Probe.NegativeWord,
                mean[1] - mean[0], mean[2] - mean[0], mean[3] - mean[0], mean[4] - mean[0]));
        }
        return new InterferenceReport(orthogonalise, Cosines(given), Cosines(applied), results);
    }
}
