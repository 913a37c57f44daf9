using System.Numerics.Tensors;
using LlamaSteer.Generation;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;

namespace LlamaSteer.Evaluation;

/// <summary>How far a model loaded one way (layers on a GPU) computes what a reference load (the CPU) computes.</summary>
/// <param name="Positions">Positions compared: the prompt's last token and every generated one but the last.</param>
/// <param name="Top1Agreements">Positions whose most likely next token is the same in both, on the reference's greedy text.</param>
/// <param name="MaxLogitDifference">The largest absolute difference of one logit at one position.</param>
/// <param name="ReferenceText">The reference's greedy continuation.</param>
/// <param name="OtherText">The other load's greedy continuation.</param>
public sealed record DeviceAgreementResult(int Positions, int Top1Agreements, double MaxLogitDifference, string ReferenceText, string OtherText)
{
    /// <summary>Share of positions whose top-1 token agrees.</summary>
    public double Top1Agreement => Positions == 0 ? 1 : (double)Top1Agreements / Positions;

    /// <summary>Whether both greedy continuations are the same text.</summary>
    public bool SameGreedyText => ReferenceText == OtherText;
}

/// <summary>
/// Compares two loads of one model under one steering plan: each generates greedily, and both score the reference's
/// text teacher-forced, so top-1 agreement is counted position by position on the same tokens (a divergence does not
/// carry over). Not thread-safe; creates its own contexts.
/// </summary>
public static class DeviceAgreement
{
    /// <exception cref="ArgumentException">An empty prompt or an invalid plan.</exception>
    public static DeviceAgreementResult Compare(LlamaModel reference, LlamaModel other, string prompt, int maxTokens, SteeringPlan plan, int? threads = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(other);
        ArgumentException.ThrowIfNullOrEmpty(prompt);
        var options = new GenerationOptions { MaxTokens = maxTokens, Sampling = SamplingOptions.Greedy, Plan = plan };
        var referenceRun = Generate(reference, prompt, options, threads, cancellationToken);
        var otherRun = Generate(other, prompt, options, threads, cancellationToken);

        var promptTokens = reference.Tokenize(prompt);
        var tokens = promptTokens.Concat(referenceRun.Tokens).ToArray();
        var sequence = new[] { new ScoredSequence(tokens, plan, promptTokens.Length) };
        var referenceLogits = Logits(reference, sequence, threads, cancellationToken);
        var otherLogits = Logits(other, sequence, threads, cancellationToken);

        var agree = 0;
        var maxDiff = 0.0;
        var diff = new float[reference.VocabularySize];
        for (var i = 0; i < referenceLogits.Count; i++)
        {
            if (TensorPrimitives.IndexOfMax(referenceLogits[i]) == TensorPrimitives.IndexOfMax(otherLogits[i])) agree++;
            TensorPrimitives.Subtract(referenceLogits[i], otherLogits[i], diff);
            // MaxMagnitude returns the element itself, with its sign.
            maxDiff = Math.Max(maxDiff, Math.Abs(TensorPrimitives.MaxMagnitude(diff)));
        }
        return new DeviceAgreementResult(referenceLogits.Count, agree, maxDiff, referenceRun.Text, otherRun.Text);
    }

    private static GenerationResult Generate(LlamaModel model, string prompt, GenerationOptions options, int? threads, CancellationToken ct)
    {
        using var context = model.CreateContext(new Inference.ContextOptions { Threads = threads, EnableGraphHooks = !options.EffectivePlan().IsStaticAdd });
        return new TextGenerator(context).Generate(prompt, options, ct);
    }

    private static List<float[]> Logits(LlamaModel model, IReadOnlyList<ScoredSequence> sequences, int? threads, CancellationToken ct)
    {
        var rows = new SortedDictionary<int, float[]>();
        new SteeredScorer(model, threads).ScoredLogits(sequences, (_, position, logits) => rows[position] = logits.ToArray(), ct);
        return rows.Values.ToList();
    }
}
