using LlamaSteer.Inference;
using LlamaSteer.Models;

namespace LlamaSteer.Training.Methods.Bipo;

/// <summary>
/// log π(response | prompt) under the unsteered model, computed once per response with llama_decode (F32 KV cache, so
/// it agrees with the training graph at v = 0). Not thread-safe (one context).
/// </summary>
public static class ReferenceLogProbabilities
{
    /// <summary>The sum of log p(token) over <paramref name="tokens"/>[<paramref name="responseStart"/>..].</summary>
    public static double Compute(InferenceContext context, int[] tokens, int responseStart)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var lease = context.Acquire();
        lease.ClearMemory();
        var batch = new TokenBatch();
        for (var i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, 0, output: i >= responseStart - 1 && i < tokens.Length - 1);
        var status = lease.Decode(batch);
        if (status != Native.SafeHandles.DecodeStatus.Ok) throw new Errors.DecodeException($"llama_decode returned {status} for a reference log-probability.", (int)status);
        var total = 0.0;
        for (var i = 0; i < tokens.Length - 1; i++)
        {
            if (i < responseStart - 1) continue;
            var logits = lease.Logits(i);
            var max = double.NegativeInfinity;
            foreach (var x in logits) max = Math.Max(max, x);
            var sum = 0.0;
            foreach (var x in logits) sum += Math.Exp(x - max);
            total += logits[tokens[i + 1]] - max - Math.Log(sum);
        }
        return total;
    }
}
