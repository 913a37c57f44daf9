using LlamaSteer.Inference;

namespace LlamaSteer.Prompts;

/// <summary>
/// A prompt ready to decode: one entry per position, a token id or (where <see cref="Tokens"/> holds
/// <see cref="EmbeddingSlot"/>) an input embedding row from <see cref="Rows"/>. Immutable by convention.
/// </summary>
public sealed record PreparedPrompt(int[] Tokens, IReadOnlyDictionary<int, float[]> Rows)
{
    /// <summary>The token id standing for a position fed as an embedding.</summary>
    public const int EmbeddingSlot = -1;

    public int Length => Tokens.Length;

    /// <summary>True when position <paramref name="index"/> is fed as an embedding row.</summary>
    public bool IsEmbedding(int index) => Tokens[index] == EmbeddingSlot;

    /// <summary>The token ids only (the positions a sampler's repetition penalty may see).</summary>
    public IEnumerable<int> TokenIds => Tokens.Where(t => t != EmbeddingSlot);

    /// <summary>
    /// Adds position <paramref name="index"/> to <paramref name="batch"/> at <paramref name="position"/> and returns its
    /// batch index, or -1 when the batch holds the other kind (decode it first).
    /// </summary>
    public int TryAdd(TokenBatch batch, int index, int position, int sequence, bool output)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var embedding = IsEmbedding(index);
        if (!batch.Accepts(embedding)) return -1;
        return embedding ? batch.AddEmbedding(Rows[index], position, sequence, output) : batch.Add(Tokens[index], position, sequence, output);
    }
}
