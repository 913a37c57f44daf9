using System.Diagnostics;
using LlamaSteer.Inference;
using LlamaSteer.Native.SafeHandles;

namespace LlamaSteer.Host.Bench;

/// <summary>The timed loops: greedy token-by-token decode of several sequences, and packed prefill.</summary>
internal static class DecodeLoop
{
    /// <summary>
    /// Prefills each sequence with the prompt, then decodes <paramref name="tokens"/> steps, one token per
    /// sequence per decode. <paramref name="hookFor"/> gives the hook for each batch just before it is
    /// decoded (per-sequence plans are prepared there, inside the timed loop, as generation does).
    /// Returns generated tokens/s (all sequences).
    /// </summary>
    public static double Decode(ContextLease lease, int[] prompt, int sequences, int tokens, Func<TokenBatch, IGraphHook?>? hookFor = null)
    {
        lease.ClearMemory();
        var batch = new TokenBatch();
        for (var s = 0; s < sequences; s++) batch.AddSequence(prompt, 0, s);
        Check(lease.Decode(batch, hookFor?.Invoke(batch)));
        var next = new int[sequences];
        var outIndex = new int[sequences];
        for (var s = 0; s < sequences; s++) outIndex[s] = (s + 1) * prompt.Length - 1;
        var watch = Stopwatch.StartNew();
        for (var step = 0; step < tokens; step++)
        {
            for (var s = 0; s < sequences; s++) next[s] = ArgMax(lease.Logits(outIndex[s]));
            batch.Clear();
            for (var s = 0; s < sequences; s++) outIndex[s] = batch.Add(next[s], prompt.Length + step, s, output: true);
            Check(lease.Decode(batch, hookFor?.Invoke(batch)));
        }
        watch.Stop();
        return sequences * tokens / watch.Elapsed.TotalSeconds;
    }

    /// <summary>Decodes packed batches of samples (one sequence each, memory cleared per batch). Returns tokens/s.</summary>
    public static double Prefill(ContextLease lease, IReadOnlyList<int[]> samples, int batchTokens, int maxSequences, IGraphHook? hook = null)
    {
        var batch = new TokenBatch();
        long total = 0;
        var watch = Stopwatch.StartNew();
        var i = 0;
        while (i < samples.Count)
        {
            batch.Clear();
            var seq = 0;
            while (i < samples.Count && seq < maxSequences && batch.Count + samples[i].Length <= batchTokens)
                batch.AddSequence(samples[i++], 0, seq++, outputLast: true);
            lease.ClearMemory();
            Check(lease.Decode(batch, hook));
            total += batch.Count;
        }
        watch.Stop();
        return total / watch.Elapsed.TotalSeconds;
    }

    private static int ArgMax(ReadOnlySpan<float> v) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(v);

    private static void Check(DecodeStatus s)
    {
        if (s != DecodeStatus.Ok) throw new InvalidOperationException($"decode returned {s}");
    }
}
