namespace LlamaSteer.Inference;

/// <summary>
/// Tokens for one decode call, possibly from several sequences. Each entry says its position in its
/// sequence and whether logits are wanted for it. Managed and reusable; copied into llama.cpp's
/// batch at decode time. A batch holds token ids or input embedding rows (steering tokens), never both:
/// llama.cpp takes one kind per decode, so a sequence mixing them is fed in runs of one kind.
/// </summary>
public sealed class TokenBatch
{
    private readonly List<Entry> _entries = [];

    /// <summary>One token of the batch; an embedding entry has <see cref="Embedding"/> set and <see cref="Token"/> -1.</summary>
    public readonly record struct Entry(int Token, int Position, int Sequence, bool Output)
    {
        /// <summary>The input embedding fed at this position instead of a token id, or null.</summary>
        public float[]? Embedding { get; init; }
    }

    /// <summary>True when the batch holds embedding rows (false when empty or holding token ids).</summary>
    public bool HoldsEmbeddings => _entries.Count > 0 && _entries[0].Embedding is not null;

    /// <summary>Whether an entry of that kind can join the batch (an empty batch takes either).</summary>
    public bool Accepts(bool embedding) => _entries.Count == 0 || HoldsEmbeddings == embedding;

    public int Count => _entries.Count;

    public IReadOnlyList<Entry> Entries => _entries;

    /// <summary>Adds a token and returns its index in the batch (the index to read its logits with).</summary>
    public int Add(int token, int position, int sequence = 0, bool output = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        if (!Accepts(embedding: false)) throw new InvalidOperationException("This batch holds embedding rows; token ids go in a batch of their own.");
        _entries.Add(new Entry(token, position, sequence, output));
        return _entries.Count - 1;
    }

    /// <summary>Adds an input embedding row (a steering token) and returns its index; the row is not copied until decode.</summary>
    /// <exception cref="InvalidOperationException">The batch holds token ids.</exception>
    public int AddEmbedding(float[] row, int position, int sequence = 0, bool output = false)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        if (!Accepts(embedding: true)) throw new InvalidOperationException("This batch holds token ids; embedding rows go in a batch of their own.");
        _entries.Add(new Entry(-1, position, sequence, output) { Embedding = row });
        return _entries.Count - 1;
    }

    /// <summary>Adds a run of tokens of one sequence starting at <paramref name="startPosition"/>; logits only for the last when <paramref name="outputLast"/>. Returns the index of the last.</summary>
    public int AddSequence(ReadOnlySpan<int> tokens, int startPosition, int sequence = 0, bool outputLast = true)
    {
        for (var i = 0; i < tokens.Length; i++) Add(tokens[i], startPosition + i, sequence, outputLast && i == tokens.Length - 1);
        return _entries.Count - 1;
    }

    public void Clear() => _entries.Clear();
}
