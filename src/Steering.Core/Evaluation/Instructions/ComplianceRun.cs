using LlamaSteer.Generation;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;

namespace LlamaSteer.Evaluation.Instructions;

/// <summary>
/// One condition to measure compliance under: a steering plan and the prompts (already carrying any written
/// instruction, already chat-formatted) it generates from; a response complies when it follows every
/// instruction in <paramref name="Judged"/>.
/// </summary>
public sealed record ComplianceCondition(string Name, SteeringPlan Plan, IReadOnlyList<string> Prompts, IReadOnlyList<Instruction> Judged);

/// <summary>
/// What one condition measured: the share of generations that follow every judged instruction, each
/// instruction's own rate, and the fluency cost: the neutral text's perplexity under the plan over the
/// unsteered one (1 for an unsteered plan), and the generations' perplexity under the unsteered model given their prompts.
/// </summary>
public sealed record ComplianceResult(
    string Name,
    double PassRate,
    IReadOnlyDictionary<string, double> InstructionPassRates,
    double PerplexityRatio,
    double? GenerationPerplexity,
    IReadOnlyList<string> Generations);

/// <summary>How <see cref="ComplianceRun"/> samples and scores.</summary>
public sealed record ComplianceSettings
{
    /// <summary>Tokens generated per sample.</summary>
    public int MaxTokens { get; init; } = 48;

    /// <summary>Generations per prompt; sample k of prompt p uses seed Seed + p * Samples + k in every condition.</summary>
    public int Samples { get; init; } = 4;

    public SamplingOptions Sampling { get; init; } = new() { Temperature = 0.8f };

    public uint Seed { get; init; } = 1;

    /// <summary>The held-out neutral text whose perplexity under a plan measures its fluency cost.</summary>
    public required string NeutralText { get; init; }

    /// <summary>Parse special tokens in prompts (chat templates).</summary>
    public bool ParseSpecialTokens { get; init; }

    public int? Threads { get; init; }

    /// <exception cref="ArgumentException">A count below 1 or invalid sampling.</exception>
    public ComplianceSettings Validate()
    {
        if (MaxTokens < 1) throw new ArgumentException("max-tokens must be at least 1.");
        if (Samples < 1) throw new ArgumentException("samples must be at least 1.");
        if (string.IsNullOrWhiteSpace(NeutralText)) throw new ArgumentException("The neutral text is empty.");
        Sampling.Validate();
        return this;
    }
}

/// <summary>
/// Generates under every condition at once (every (condition, prompt, sample) is one sequence of shared
/// batches with its own plan, through <see cref="BatchedGenerator"/>), judges the generations with the
/// instructions' checkers and measures each plan's fluency cost with <see cref="SteeredScorer"/>. Not
/// thread-safe (creates and holds its own contexts).
/// </summary>
public static class ComplianceRun
{
    /// <exception cref="ArgumentException">No condition, an empty prompt set or an invalid plan (before any decoding).</exception>
    public static IReadOnlyList<ComplianceResult> Measure(LlamaModel model, IReadOnlyList<ComplianceCondition> conditions, ComplianceSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(conditions);
        settings.Validate();
        if (conditions.Count == 0) throw new ArgumentException("No condition to measure.");
        foreach (var c in conditions)
        {
            if (c.Prompts.Count == 0 || c.Prompts.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException($"The condition '{c.Name}' has no prompts or an empty one.");
            c.Plan.Validate(model.EmbeddingSize, model.LayerCount, int.MaxValue);
        }

        var scorer = new SteeredScorer(model, settings.Threads);
        var plans = conditions.Select(c => c.Plan).Prepend(SteeringPlan.None).Distinct().ToList();
        var neutral = model.Tokenize(settings.NeutralText);
        if (neutral.Length < 2) throw new ArgumentException("The neutral text has fewer than two tokens; perplexity needs at least two.");
        var neutralPpl = scorer.NextTokenLogProbs(plans.Select(p => new ScoredSequence(neutral, p)).ToList(), cancellationToken)
            .Select(lp => PerplexityResult.Pool([lp])!.Value).ToArray();

        var generated = Generate(model, conditions, settings, cancellationToken);
        var scored = new List<ScoredSequence>();
        var owner = new List<int>();
        for (var i = 0; i < conditions.Count; i++)
            foreach (var g in generated[i].Where(g => g.Result.Tokens.Count > 0))
            {
                scored.Add(new ScoredSequence([.. g.PromptTokens, .. g.Result.Tokens], SteeringPlan.None, g.PromptTokens.Length));
                owner.Add(i);
            }
        var logProbs = scorer.NextTokenLogProbs(scored, cancellationToken);

        return conditions.Select((c, i) =>
        {
            var texts = generated[i].Select(g => g.Result.Text).ToArray();
            return new ComplianceResult(
                c.Name,
                texts.Count(t => c.Judged.All(j => j.IsFollowedBy(t))) / (double)texts.Length,
                c.Judged.ToDictionary(j => j.Name, j => texts.Count(j.IsFollowedBy) / (double)texts.Length),
                neutralPpl[plans.IndexOf(c.Plan)] / neutralPpl[0],
                PerplexityResult.Pool(logProbs.Where((_, k) => owner[k] == i))?.Value,
                texts);
        }).ToArray();
    }

    private sealed record Generated(int[] PromptTokens, GenerationResult Result);

    private static List<Generated>[] Generate(LlamaModel model, IReadOnlyList<ComplianceCondition> conditions, ComplianceSettings settings, CancellationToken ct)
    {
        var requests = new List<(int Condition, int[] Tokens, GenerationRequest Request)>();
        for (var i = 0; i < conditions.Count; i++)
            for (var p = 0; p < conditions[i].Prompts.Count; p++)
            {
                var prompt = conditions[i].Prompts[p];
                var tokens = model.Tokenize(prompt, addSpecial: true, settings.ParseSpecialTokens);
                for (var k = 0; k < settings.Samples; k++)
                {
                    var options = new GenerationOptions
                    {
                        MaxTokens = settings.MaxTokens,
                        Sampling = settings.Sampling with { Seed = settings.Seed + (uint)(p * settings.Samples + k) },
                        ParseSpecialTokens = settings.ParseSpecialTokens,
                        Plan = conditions[i].Plan,
                    };
                    requests.Add((i, tokens, new GenerationRequest(prompt, options)));
                }
            }

        // Each sequence needs room for its prompt and its tokens in the shared KV cache.
        var perSequence = requests.Max(r => r.Tokens.Length) + settings.MaxTokens + 1;
        var outputs = SharedContextGeneration.Generate(model, settings.Threads, requests.Select(r => r.Request).ToList(), perSequence, ct);
        var result = conditions.Select(_ => new List<Generated>()).ToArray();
        for (var j = 0; j < requests.Count; j++) result[requests[j].Condition].Add(new Generated(requests[j].Tokens, outputs[j]));
        return result;
    }
}
