using System.Numerics.Tensors;
using LlamaSteer.Generation;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Steering;

namespace LlamaSteer.Evaluation;

/// <summary>A text's perplexity: exp of the mean negative log-likelihood of its scored tokens.</summary>
public sealed record PerplexityResult(double MeanNegativeLogLikelihood, int ScoredTokens)
{
    public double Value => Math.Exp(MeanNegativeLogLikelihood);
}

/// <summary>
/// How well a model (optionally steered) predicts a text: the text is decoded in one pass with logits at
/// every position, and token i+1 is scored by −log softmax(logits_i)[token i+1]. A steering plan is applied
/// as in generation (its windows see the first <c>promptLength</c> tokens as the prompt). Creates and
/// disposes its own context; thread-safe.
/// </summary>
public static class Perplexity
{
    /// <param name="promptLength">Tokens (BOS included) that condition but are not scored; at least 1.</param>
    /// <exception cref="ArgumentException">A text of fewer than promptLength + 1 tokens, or an invalid plan.</exception>
    public static PerplexityResult Measure(LlamaModel model, string text, SteeringPlan? plan = null, int promptLength = 1, int? threads = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(text);
        return Measure(model, model.Tokenize(text), plan, promptLength, threads, cancellationToken);
    }

    /// <inheritdoc cref="Measure(LlamaModel, string, SteeringPlan?, int, int?, CancellationToken)"/>
    public static PerplexityResult Measure(LlamaModel model, IReadOnlyList<int> tokens, SteeringPlan? plan = null, int promptLength = 1, int? threads = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        if (promptLength < 1) throw new ArgumentOutOfRangeException(nameof(promptLength), promptLength, "At least one token must condition the first prediction.");
        if (tokens.Count <= promptLength) throw new ArgumentException($"The text has {tokens.Count} tokens: nothing is left to score after the first {promptLength}.");
        plan ??= SteeringPlan.None;
        using var ctx = model.CreateContext(new ContextOptions
        {
            Threads = threads,
            ContextSize = Math.Max(64, tokens.Count),
            BatchSize = tokens.Count,
            EnableGraphHooks = !plan.IsEmpty,
        });
        using var lease = ctx.Acquire(cancellationToken);
        lease.ClearMemory();
        using var steering = SteeringBinding.Install(lease, [(plan, promptLength)]);
        var batch = new TokenBatch();
        for (var i = 0; i < tokens.Count; i++) batch.Add(tokens[i], i, 0, output: i >= promptLength - 1 && i < tokens.Count - 1);
        TextGenerator.Check(lease.Decode(batch, steering.For(batch)));

        double total = 0;
        for (var i = promptLength - 1; i < tokens.Count - 1; i++)
        {
            var logits = lease.Logits(i);
            var max = TensorPrimitives.Max(logits);
            double sum = 0;
            foreach (var l in logits) sum += Math.Exp(l - max);
            total += max + Math.Log(sum) - logits[tokens[i + 1]];
        }
        lease.ClearMemory();
        var scored = tokens.Count - promptLength;
        return new PerplexityResult(total / scored, scored);
    }
}
