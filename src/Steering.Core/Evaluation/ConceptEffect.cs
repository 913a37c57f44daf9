using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Native.SafeHandles;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.Evaluation;

/// <summary>The probe's mean log-probability difference at one strength, and per prompt.</summary>
public sealed record EffectPoint(float Strength, double MeanLogProbDifference, IReadOnlyList<double> PerPrompt);

/// <summary>
/// Measures how a vector moves a concept: for each strength, log p(positive) - log p(negative) of the
/// next token after each prompt, with the vector added to the residual stream on its layers. All
/// prompts of a strength go through one batched decode.
/// </summary>
public static class ConceptEffect
{
    public static IReadOnlyList<EffectPoint> Sweep(
        LlamaModel model,
        SteeringVector vector,
        LayerSet? layers,
        IReadOnlyList<string> prompts,
        ProbeTokens probe,
        IReadOnlyList<float> strengths,
        int? threads = null,
        CancellationToken cancellationToken = default)
    {
        if (prompts.Count == 0) throw new ArgumentException("The effect needs at least one prompt.");
        var tokenized = prompts.Select(p => model.Tokenize(p)).ToArray();
        var total = tokenized.Sum(t => t.Length);
        using var ctx = model.CreateContext(new ContextOptions
        {
            Threads = threads,
            MaxSequences = prompts.Count,
            BatchSize = Math.Max(total, prompts.Count),
            ContextSize = Math.Max(total, 64),
        });
        var result = new List<EffectPoint>();
        using var lease = ctx.Acquire(cancellationToken);
        foreach (var s in strengths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var buffer = ControlVectorAdapter.Build([new VectorTerm(vector, s, layers)], model.EmbeddingSize, model.LayerCount);
            lease.SetControlVector(buffer.Data, buffer.FirstLayer, buffer.LastLayer);
            lease.ClearMemory();
            var batch = new TokenBatch();
            var last = tokenized.Select((t, i) => batch.AddSequence(t, 0, i)).ToArray();
            if (lease.Decode(batch) != DecodeStatus.Ok) throw new Errors.DecodeException("The effect decode found no KV slot.", 1);
            var per = last.Select(i => LogProbDifference(lease.Logits(i), probe)).ToArray();
            result.Add(new EffectPoint(s, per.Average(), per));
        }
        lease.SetControlVector([], -1, -1);
        return result;
    }

    /// <summary>log p(positive) - log p(negative) from one logits row (the softmax normaliser cancels).</summary>
    public static double LogProbDifference(ReadOnlySpan<float> logits, ProbeTokens probe) =>
        logits[probe.Positive] - logits[probe.Negative];
}
