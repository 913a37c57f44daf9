using LlamaSteer.Native.Graphs;

namespace LlamaSteer.Training.Graph;

/// <summary>Rows of a model's token embedding table as F32, dequantized by ggml's own get_rows (the values a forward pass reads).</summary>
public static class EmbeddingRows
{
    /// <summary>The embedding rows of <paramref name="tokens"/>, each n_embd floats.</summary>
    /// <exception cref="ArgumentException">No token, or one outside the vocabulary.</exception>
    public static float[][] Read(ModelWeights weights, IReadOnlyList<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Count == 0) throw new ArgumentException("No token to read.");
        if (tokens.Any(t => (uint)t >= (uint)weights.VocabularySize)) throw new ArgumentException($"A token is outside the vocabulary of {weights.VocabularySize}.");
        using var runner = new GraphRunner(1);
        using var step = new GraphStep(16);
        var ids = step.Input(SafeGgmlContextHandle.I32, [tokens.Count], "ids", t => t.Write(tokens.ToArray()));
        var rows = step.Output(step.Context.GetRows(weights.TokenEmbedding, ids));
        runner.Forward(step);
        var values = rows.ReadFloats();
        var width = (int)rows.Dim(0);
        return [.. Enumerable.Range(0, tokens.Count).Select(i => values.AsSpan(i * width, width).ToArray())];
    }

    /// <summary>The mean of the rows of <paramref name="tokens"/> (a steering token's starting point).</summary>
    public static float[] Mean(ModelWeights weights, IReadOnlyList<int> tokens)
    {
        var rows = Read(weights, tokens);
        var mean = new float[rows[0].Length];
        foreach (var r in rows) System.Numerics.Tensors.TensorPrimitives.Add(mean, r, mean);
        System.Numerics.Tensors.TensorPrimitives.Divide(mean, rows.Length, mean);
        return mean;
    }
}
