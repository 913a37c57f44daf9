using LlamaSteer.Errors;
using LlamaSteer.Generation;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Prompts;
using LlamaSteer.Steering;

namespace LlamaSteer.Evaluation;

/// <summary>
/// Evaluates steering vectors over layers x strengths (x vectors): for every cell, the probe's next-token
/// log-odds shift, the keyword rate in sampled generations, the fluency cost (perplexity of a neutral
/// text under the steering, and of the steered generations under the unsteered model) and IFEval-style
/// check pass rates; then recommends the cell with the largest effect whose fluency cost stays under
/// the bound. Every measurement decodes all cells together, one sequence per (cell, prompt, sample),
/// each with its own plan: <see cref="SteeredScorer"/> for log-probabilities, <see cref="BatchedGenerator"/>
/// for generations. Not thread-safe (creates and holds its own contexts).
/// </summary>
public static class SteeringSweep
{
    /// <exception cref="ArgumentException">Invalid settings (checked before anything is decoded).</exception>
    public static SweepReport Run(LlamaModel model, SweepSettings settings, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate(model.EmbeddingSize, model.LayerCount);
        var keywords = new Keywords(settings.Keywords);
        var cells = (from c in settings.Candidates
                     from row in settings.LayerRows
                     from s in c.Strengths ?? settings.Strengths
                     select (Candidate: c, Row: row, Strength: s)).ToList();
        // Setting 0 is the unsteered model; setting i > 0 is cell i - 1.
        var plans = new List<SteeringPlan> { SteeringPlan.None };
        plans.AddRange(cells.Select(c => SweepSettings.Plan(c.Candidate, c.Row, c.Strength)));
        // Then one unsteered setting per prompt-side prefix (steering tokens or an instruction in front of each prompt).
        var prefixes = plans.Select(_ => (SweepPrefix?)null).Concat(settings.Prefixes).ToList();
        plans.AddRange(settings.Prefixes.Select(_ => SteeringPlan.None));
        var prompts = settings.Prompts.Select(p => Tokenize(model, p, settings.ParseSpecialTokens)).ToArray();
        var prepared = prefixes.Select(x => x is null
            ? prompts.Select(t => new PreparedPrompt(t, new Dictionary<int, float[]>())).ToArray()
            : settings.Prompts.Select(p => With(x, p).Prepare(model, true, settings.ParseSpecialTokens)).ToArray()).ToArray();
        Limits.ResourceLimits.CheckGenerations(plans.Count, prompts.Length, settings.Samples);
        CheckPromptsFit(model, prepared.SelectMany(p => p).Select(p => p.Length), settings.MaxTokens);
        var neutral = settings.NeutralText is { } text ? model.Tokenize(text) : null;
        if (neutral is { Length: < 2 }) throw new ArgumentException("The neutral text has fewer than two tokens; perplexity needs at least two.");
        var scorer = new SteeredScorer(model, settings.Threads);

        double[]? logOdds = null;
        if (settings.Probe is { } probe)
        {
            progress?.Report($"probe log-odds: {plans.Count} settings x {prompts.Length} prompts");
            var sequences = plans.SelectMany((p, i) => prepared[i].Select(t => new ScoredSequence(t, p))).ToList();
            var per = scorer.LogProbDifferences(sequences, probe, cancellationToken);
            logOdds = plans.Select((_, i) => per.Skip(i * prompts.Length).Take(prompts.Length).Average()).ToArray();
        }

        IReadOnlyList<PerplexityResult>? neutralPpl = null;
        if (neutral is not null)
        {
            progress?.Report($"neutral-text perplexity: {plans.Count} settings x {neutral.Length} tokens");
            // With a prefix, the neutral text follows it and only the text's own tokens are scored.
            ScoredSequence NeutralUnder(int i)
            {
                if (prefixes[i] is not { } x) return new ScoredSequence(neutral, plans[i]);
                var withPrefix = With(x, settings.NeutralText!).Prepare(model);
                return new ScoredSequence(withPrefix, plans[i], withPrefix.Length - neutral.Length + 1);
            }
            neutralPpl = scorer.NextTokenLogProbs(plans.Select((_, i) => NeutralUnder(i)).ToList(), cancellationToken)
                .Select(lp => PerplexityResult.Pool([lp])!).ToArray();
        }

        progress?.Report($"generations: {plans.Count} settings x {prompts.Length} prompts x {settings.Samples} samples, {settings.MaxTokens} tokens each");
        var generations = Generate(model, settings, plans, prefixes, prompts, cancellationToken);

        progress?.Report("perplexity of the generations under the unsteered model");
        var genSequences = new List<ScoredSequence>();
        var genOwner = new List<int>();
        for (var i = 0; i < plans.Count; i++)
            foreach (var g in generations[i].Where(g => g.Tokens.Count > 0))
            {
                genSequences.Add(new ScoredSequence([.. prompts[g.Prompt], .. g.Tokens], SteeringPlan.None, prompts[g.Prompt].Length));
                genOwner.Add(i);
            }
        var genLogProbs = scorer.NextTokenLogProbs(genSequences, cancellationToken);
        var genPpl = plans.Select((_, i) => PerplexityResult.Pool(genLogProbs.Where((_, k) => genOwner[k] == i))).ToArray();

        var metrics = plans.Select((_, i) =>
        {
            var texts = generations[i];
            return new SweepMetrics(
                logOdds?[i],
                logOdds is null ? null : logOdds[i] - logOdds[0],
                keywords.Words.Count == 0 ? null : texts.Count(g => keywords.AnyIn(g.Text)) / (double)texts.Count,
                keywords.Words.Count == 0 ? null : texts.Average(g => keywords.Count(g.Text)),
                neutralPpl?[i].Value,
                neutralPpl is null ? null : neutralPpl[i].Value / neutralPpl[0].Value,
                genPpl[i]?.Value,
                settings.Checks.ToDictionary(c => c.Name, c => texts.Count(g => c.Passes(g.Text)) / (double)texts.Count),
                texts.Select(g => new SweepGeneration(g.Prompt, g.Seed, g.Text)).ToArray());
        }).ToArray();

        var sweepCells = cells.Select((c, i) => new SweepCell(c.Candidate.Name, c.Row.ToString(), c.Strength, metrics[i + 1]))
            .Concat(settings.Prefixes.Select((x, j) => new SweepCell(x.Name, "prompt", 1f, metrics[cells.Count + 1 + j]))).ToArray();
        var measure = SweepRecommender.Measure(settings);
        var (recommendation, advice) = SweepRecommender.Recommend(metrics[0], sweepCells, settings, measure);
        return new SweepReport(
            Path.GetFileName(model.Info.Path),
            [.. settings.Candidates.Select(c => c.Name), .. settings.Prefixes.Select(x => x.Name)],
            settings.LayerRows.Select(r => r.ToString()).ToArray(),
            settings.Strengths,
            settings.Prompts,
            settings.Probe?.PositiveWord,
            settings.Probe?.NegativeWord,
            keywords.Words,
            settings.Checks.Select(c => c.Name).ToArray(),
            SweepRecommender.Describe(measure),
            settings.MaxPerplexityRatio,
            settings.MaxTokens,
            settings.Samples,
            settings.Sampling.Temperature,
            settings.Seed,
            metrics[0],
            sweepCells,
            recommendation,
            advice);
    }

    private sealed record Generated(int Prompt, uint Seed, string Text, IReadOnlyList<int> Tokens);

    /// <summary>Every (setting, prompt, sample) as one request of a batched generation; returns per setting its generations.</summary>
    private static List<Generated>[] Generate(LlamaModel model, SweepSettings settings, List<SteeringPlan> plans, List<SweepPrefix?> prefixes, int[][] prompts, CancellationToken ct)
    {
        var requests = new List<(int Setting, int Prompt, uint Seed, GenerationRequest Request)>();
        for (var i = 0; i < plans.Count; i++)
            for (var p = 0; p < prompts.Length; p++)
                for (var k = 0; k < settings.Samples; k++)
                {
                    var seed = settings.Seed + (uint)(p * settings.Samples + k);
                    var options = new GenerationOptions
                    {
                        MaxTokens = settings.MaxTokens,
                        Sampling = settings.Sampling with { Seed = seed },
                        ParseSpecialTokens = settings.ParseSpecialTokens,
                        Plan = plans[i],
                    };
                    requests.Add((i, p, seed, prefixes[i] is { } x
                        ? new GenerationRequest(With(x, settings.Prompts[p]), options)
                        : new GenerationRequest(settings.Prompts[p], options)));
                }

        // Each sequence needs room for its prompt and its tokens in the shared KV cache.
        var longestPrefix = prefixes.Max(x => x?.Pieces.Sum(p => p is TextPiece t ? model.Tokenize(t.Text, addSpecial: false).Length : 1) ?? 0);
        var perSequence = prompts.Max(t => t.Length) + longestPrefix + settings.MaxTokens + 1;
        var outputs = SharedContextGeneration.Generate(model, settings.Threads, requests.Select(r => r.Request).ToList(), perSequence, ct);
        var result = plans.Select(_ => new List<Generated>()).ToArray();
        for (var j = 0; j < requests.Count; j++)
            result[requests[j].Setting].Add(new Generated(requests[j].Prompt, requests[j].Seed, outputs[j].Text, outputs[j].Tokens));
        return result;
    }

    /// <summary>
    /// As generate refuses a prompt the context cannot hold, so does a sweep (its shared context would otherwise grow
    /// to fit): each prompt plus <paramref name="maxTokens"/> must fit the model's trained context.
    /// </summary>
    /// <exception cref="ContextOverflowException">A prompt does not fit.</exception>
    public static void CheckPromptsFit(LlamaModel model, IEnumerable<int> promptLengths, int maxTokens)
    {
        var longest = promptLengths.DefaultIfEmpty(0).Max();
        if (model.Info.TrainedContextLength > 0 && longest + maxTokens + 1 > model.Info.TrainedContextLength)
            throw new ContextOverflowException(
                $"A prompt of {longest} tokens plus {maxTokens} generated tokens does not fit the model's context of {model.Info.TrainedContextLength} tokens; shorten the prompt or lower --max-tokens.");
    }

    private static Prompt With(SweepPrefix prefix, string text) => new([.. prefix.Pieces, new TextPiece(text)]);

    private static int[] Tokenize(LlamaModel model, string prompt, bool parseSpecial)
    {
        var tokens = model.Tokenize(prompt, addSpecial: true, parseSpecial);
        if (tokens.Length == 0) throw new ArgumentException($"The prompt '{prompt}' produced no tokens.");
        return tokens;
    }
}
