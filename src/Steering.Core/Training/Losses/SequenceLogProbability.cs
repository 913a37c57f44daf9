using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Graph;

namespace LlamaSteer.Training.Losses;

/// <summary>
/// log π(response | prompt) of one sequence as a graph scalar: the sum over the response's positions of the
/// log-probability of the token there, from ggml's cross-entropy (which has a backward) against one-hot labels. The
/// prompt's positions are masked out by taking only the rows that predict response tokens.
/// </summary>
public static class SequenceLogProbability
{
    /// <summary>
    /// The scalar log-probability of <paramref name="tokens"/>[<paramref name="responseStart"/>..] given the tokens before it,
    /// from <paramref name="logits"/> [n_vocab, n] of the whole sequence.
    /// </summary>
    /// <exception cref="ArgumentException">The response is empty or starts at position 0 (nothing predicts it).</exception>
    public static GgmlTensorRef Build(GraphStep step, GgmlTensorRef logits, int[] tokens, int responseStart, string tag = "")
    {
        var (mean, count) = MeanCrossEntropy(step, logits, tokens, responseStart, tag);
        return step.Context.Scale(mean, -count).Named($"logp{tag}");
    }

    /// <summary>The mean cross-entropy over the response's tokens (the completion loss), and how many tokens it averages.</summary>
    public static (GgmlTensorRef Loss, int Tokens) MeanCrossEntropy(GraphStep step, GgmlTensorRef logits, int[] tokens, int responseStart, string tag = "")
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (responseStart < 1 || responseStart >= tokens.Length)
            throw new ArgumentException($"The response must start after the first token and hold at least one token (start {responseStart} of {tokens.Length}).");
        var vocab = logits.Dim(0);
        if (logits.Dim(1) != tokens.Length) throw new ArgumentException($"{logits.Dim(1)} logit rows for {tokens.Length} tokens.");
        var count = tokens.Length - responseStart;
        var labels = new float[vocab * count];
        for (var i = 0; i < count; i++) labels[i * vocab + tokens[responseStart + i]] = 1f;
        var g = step.Context;
        var rows = g.Cont(g.Rows(logits, responseStart - 1, count));
        var target = step.Constant($"labels{tag}", labels, vocab, count);
        return (g.CrossEntropy(rows, target).Named($"completion_xent{tag}"), count);
    }
}
