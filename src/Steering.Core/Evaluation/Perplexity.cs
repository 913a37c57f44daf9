using LlamaSteer.Models;
using LlamaSteer.Steering;

namespace LlamaSteer.Evaluation;

/// <summary>
/// The mean negative log-likelihood of some tokens (natural log) and how many were scored;
/// <see cref="Value"/> is the perplexity, exp(mean NLL).
/// </summary>
public sealed record PerplexityResult(double MeanNegativeLogLikelihood, int Tokens)
{
    public double Value => Math.Exp(MeanNegativeLogLikelihood);

    /// <summary>Pools per-token log-probabilities of several sequences (each token weighs the same); null when there are none.</summary>
    public static PerplexityResult? Pool(IEnumerable<double[]> logProbs)
    {
        var sum = 0.0;
        var n = 0;
        foreach (var row in logProbs)
            foreach (var lp in row)
            {
                sum -= lp;
                n++;
            }
        return n == 0 ? null : new PerplexityResult(sum / n, n);
    }
}

/// <summary>
/// How well a model (steered or not) predicts a text: decode it with outputs on every token and average
/// -log softmax of the next true token. A steering plan that damages fluency raises the perplexity of
/// a neutral text; see <see cref="SteeringSweep"/> for the ratio it reports.
/// </summary>
public static class Perplexity
{
    /// <summary>The perplexity of <paramref name="text"/> (tokenized with BOS as the model adds it) under <paramref name="plan"/>.</summary>
    /// <exception cref="ArgumentException">A text of fewer than two tokens, or an invalid plan.</exception>
    public static PerplexityResult Of(LlamaModel model, string text, SteeringPlan? plan = null, int? threads = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(text);
        return Of(model, model.Tokenize(text), [plan ?? SteeringPlan.None], threads, cancellationToken)[0];
    }

    /// <summary>The perplexity of the same tokens under each plan; all plans run as sequences of shared batches.</summary>
    /// <exception cref="ArgumentException">Fewer than two tokens, no plans, or an invalid plan.</exception>
    public static IReadOnlyList<PerplexityResult> Of(LlamaModel model, int[] tokens, IReadOnlyList<SteeringPlan> plans, int? threads = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(plans);
        if (tokens.Length < 2) throw new ArgumentException($"A text of {tokens.Length} token(s) has nothing to predict; perplexity needs at least two.");
        if (plans.Count == 0) throw new ArgumentException("No plans to measure perplexity under.");
        var scorer = new SteeredScorer(model, threads);
        var logProbs = scorer.NextTokenLogProbs(plans.Select(p => new ScoredSequence(tokens, p)).ToList(), cancellationToken);
        return logProbs.Select(lp => PerplexityResult.Pool([lp])!).ToArray();
    }

    /// <summary>The perplexity of <c>tokens[promptLength..]</c> given what precedes them (a generation given its prompt).</summary>
    /// <exception cref="ArgumentException">No continuation tokens, or an invalid plan.</exception>
    public static PerplexityResult OfContinuation(LlamaModel model, int[] tokens, int promptLength, SteeringPlan? plan = null, int? threads = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (promptLength < 1 || promptLength >= tokens.Length)
            throw new ArgumentException($"The continuation is empty: {tokens.Length} tokens with a prompt of {promptLength}.");
        var scorer = new SteeredScorer(model, threads);
        var logProbs = scorer.NextTokenLogProbs([new ScoredSequence(tokens, plan ?? SteeringPlan.None)], cancellationToken)[0];
        // logProbs[i] scores tokens[i + 1]; the continuation starts at tokens[promptLength].
        return PerplexityResult.Pool([logProbs[(promptLength - 1)..]])!;
    }
}
