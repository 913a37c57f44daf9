using LlamaSteer.Capture;
using LlamaSteer.Models;

namespace LlamaSteer.Steering.Conditional;

/// <summary>
/// The hidden state a condition reads from a prompt: l_out at a layer averaged over the prompt's tokens,
/// BOS excluded (it is the same for every prompt). One capture pass of its own, unsteered.
/// </summary>
internal static class PromptStates
{
    public static CapturedActivations Capture(LlamaModel model, IReadOnlyList<int[]> prompts, LayerSet layers, int? threads, CancellationToken ct)
    {
        if (prompts.Count == 0) throw new ArgumentException("No prompts.");
        var bos = model.Handle.AddsBos ? model.Handle.BosToken : -1;
        var items = prompts.Select((p, i) =>
        {
            if (p.Length == 0) throw new ArgumentException($"Prompt {i} has no tokens.");
            var start = p.Length > 1 && p[0] == bos ? 1 : 0;
            return new CaptureItem(p, start);
        }).ToArray();
        using var capturer = new ActivationCapturer(model, threads, maxTokensPerDecode: Math.Max(512, prompts.Max(p => p.Length)));
        return capturer.Capture(items, layers, CapturePositions.CompletionMean, cancellationToken: ct);
    }
}
