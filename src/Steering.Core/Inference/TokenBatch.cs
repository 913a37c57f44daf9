namespace LlamaSteer.Inference;

/// <summary>
/// Tokens for one decode call, possibly from several sequences. Each entry says its position in its
/// sequence and whether logits are wanted for it. Managed and reusable; copied into llama.cpp's
/// batch at decode time.
/// </summary>
public sealed class TokenBatch
{
    private readonly List<Entry> _entries = [];

    /// <summary>One token of the batch.</summary>
    public readonly record struct Entry(int Token, int Position, int Sequence, bool Output);

    public int Count => _entries.Count;

    public IReadOnlyList<Entry> Entries => _entries;

    /// <summary>Adds a token and returns its index in the batch (the index to read its logits with).</summary>
    public int Add(int token, int position, int sequence = 0, bool output = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        _entries.Add(new Entry(token, position, sequence, output));
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
