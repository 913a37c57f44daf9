namespace LlamaSteer.Serving;

/// <summary>Log-probabilities of the model's next-token distribution (log-softmax of the raw logits).</summary>
internal static class Logprobs
{
    public static TokenLogprob For(ReadOnlySpan<float> logits, int token, int top)
    {
        var max = System.Numerics.Tensors.TensorPrimitives.Max(logits);
        var sum = 0.0;
        for (var i = 0; i < logits.Length; i++) sum += Math.Exp(logits[i] - max);
        var logZ = max + (float)Math.Log(sum);
        var best = new List<(int Token, float Logprob)>(top);
        if (top > 0)
        {
            // Selection of the top k by repeated insertion: k is at most 20 (OpenAI's limit), so this stays linear in the vocabulary.
            for (var i = 0; i < logits.Length; i++)
            {
                if (best.Count == top && logits[i] <= best[^1].Logprob) continue;
                var at = best.Count;
                while (at > 0 && logits[i] > best[at - 1].Logprob) at--;
                best.Insert(at, (i, logits[i]));
                if (best.Count > top) best.RemoveAt(best.Count - 1);
            }
            for (var i = 0; i < best.Count; i++) best[i] = (best[i].Token, best[i].Logprob - logZ);
        }
        return new TokenLogprob(token, logits[token] - logZ, best);
    }
}
