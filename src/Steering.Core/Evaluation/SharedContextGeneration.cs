using LlamaSteer.Generation;
using LlamaSteer.Inference;
using LlamaSteer.Models;

namespace LlamaSteer.Evaluation;

/// <summary>
/// Runs many generation requests through one batched context, in chunks sized so every sequence of a chunk fits:
/// the way sweeps and compliance runs decode their (setting, prompt, sample) grid.
/// </summary>
internal static class SharedContextGeneration
{
    /// <summary>The KV cells all chunks share at most; a chunk holds as many sequences as fit (1 to 64).</summary>
    private const int SharedCells = 8192;

    /// <param name="cellsPerSequence">room one sequence needs: its longest prompt, its tokens and one more.</param>
    /// <returns>one result per request, in the order of <paramref name="requests"/>.</returns>
    public static IReadOnlyList<GenerationResult> Generate(LlamaModel model, int? threads, IReadOnlyList<GenerationRequest> requests, int cellsPerSequence, CancellationToken ct)
    {
        if (requests.Count == 0) return [];
        var together = Math.Clamp(SharedCells / cellsPerSequence, 1, Math.Min(64, requests.Count));
        using var ctx = model.CreateContext(new ContextOptions
        {
            Threads = threads,
            MaxSequences = together,
            ContextSize = Math.Max(8, together * cellsPerSequence),
            BatchSize = Math.Max(512, together),
            EnableGraphHooks = true,
        });
        var generator = new BatchedGenerator(ctx);
        var results = new List<GenerationResult>(requests.Count);
        foreach (var chunk in requests.Chunk(together))
            results.AddRange(generator.Generate(chunk, ct));
        return results;
    }
}
