using System.Diagnostics;
using LlamaSteer.Generation;
using LlamaSteer.Inference;

namespace LlamaSteer.Host.Bench;

/// <summary>
/// Whole steered requests (prefill, sampling, decode) through the public generators: one after another
/// with <see cref="TextGenerator"/>, or all at once with <see cref="BatchedGenerator"/>. Returns the
/// aggregate generated tokens per second of wall time.
/// </summary>
internal static class RequestLoop
{
    public static double OneAfterAnother(InferenceContext context, IReadOnlyList<GenerationRequest> requests, CancellationToken ct)
    {
        var generator = new TextGenerator(context);
        long tokens = 0;
        var watch = Stopwatch.StartNew();
        foreach (var r in requests) tokens += generator.Generate(r.Prompt, r.Options, ct).Tokens.Count;
        return tokens / watch.Elapsed.TotalSeconds;
    }

    public static double Batched(InferenceContext context, IReadOnlyList<GenerationRequest> requests, CancellationToken ct)
    {
        var generator = new BatchedGenerator(context);
        var watch = Stopwatch.StartNew();
        var tokens = generator.Generate(requests, ct).Sum(r => r.Tokens.Count);
        return tokens / watch.Elapsed.TotalSeconds;
    }
}
