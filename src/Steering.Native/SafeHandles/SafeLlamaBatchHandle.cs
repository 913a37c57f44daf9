using System.Runtime.InteropServices;
using LlamaSteer.Native.Interop;

namespace LlamaSteer.Native.SafeHandles;

/// <summary>
/// Owns a <c>llama_batch</c> made by <c>llama_batch_init</c>. The struct itself lives in native
/// memory so its arrays are freed exactly once, by <c>llama_batch_free</c>.
/// </summary>
public sealed unsafe class SafeLlamaBatchHandle : OwnedHandle
{
    private SafeLlamaBatchHandle() { }

    /// <summary>Allocates a batch for up to <paramref name="capacity"/> tokens, each in up to <paramref name="maxSequencesPerToken"/> sequences.</summary>
    public static SafeLlamaBatchHandle Create(int capacity, int maxSequencesPerToken)
    {
        Runtime.NativeRuntime.EnsureLoaded();
        var native = (LlamaBatch*)NativeMemory.AllocZeroed((nuint)sizeof(LlamaBatch));
        *native = LlamaNative.BatchInit(capacity, 0, maxSequencesPerToken);
        var h = new SafeLlamaBatchHandle();
        h.SetHandle((IntPtr)native);
        return h;
    }

    /// <summary>
    /// Allocates a batch that carries input embeddings instead of token ids: up to <paramref name="capacity"/> rows of
    /// <paramref name="embeddingSize"/> floats (llama.cpp takes one kind per batch, never both).
    /// </summary>
    public static SafeLlamaBatchHandle CreateEmbeddings(int capacity, int embeddingSize, int maxSequencesPerToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingSize, 1);
        Runtime.NativeRuntime.EnsureLoaded();
        var native = (LlamaBatch*)NativeMemory.AllocZeroed((nuint)sizeof(LlamaBatch));
        *native = LlamaNative.BatchInit(capacity, embeddingSize, maxSequencesPerToken);
        var h = new SafeLlamaBatchHandle { EmbeddingSize = embeddingSize };
        h.SetHandle((IntPtr)native);
        return h;
    }

    /// <summary>The width of an embedding row for a batch made by <see cref="CreateEmbeddings"/>; 0 for a token batch.</summary>
    public int EmbeddingSize { get; private init; }

    internal LlamaBatch* Batch
    {
        get
        {
            return (LlamaBatch*)Live;
        }
    }

    /// <summary>Number of tokens the batch holds now.</summary>
    public int Count => Batch->NTokens;

    /// <summary>Empties the batch (the arrays are kept).</summary>
    public void Clear() => Batch->NTokens = 0;

    /// <summary>Appends a token. The caller keeps <see cref="Count"/> below the capacity it allocated.</summary>
    public void Add(int token, int position, ReadOnlySpan<int> sequences, bool output)
    {
        var b = Batch;
        var i = b->NTokens;
        if (EmbeddingSize != 0) throw new InvalidOperationException("This batch holds embeddings, not token ids.");
        b->Token[i] = token;
        b->Pos[i] = position;
        b->NSeqId[i] = sequences.Length;
        for (var s = 0; s < sequences.Length; s++) b->SeqId[i][s] = sequences[s];
        b->Logits[i] = output ? (sbyte)1 : (sbyte)0;
        b->NTokens = i + 1;
    }

    /// <summary>Appends an input embedding row to a batch made by <see cref="CreateEmbeddings"/>; the caller keeps within its capacity.</summary>
    /// <exception cref="InvalidOperationException">This is a token batch.</exception>
    /// <exception cref="ArgumentException">The row is not <see cref="EmbeddingSize"/> floats.</exception>
    public void AddEmbedding(ReadOnlySpan<float> row, int position, ReadOnlySpan<int> sequences, bool output)
    {
        if (EmbeddingSize == 0) throw new InvalidOperationException("This batch holds token ids, not embeddings.");
        if (row.Length != EmbeddingSize) throw new ArgumentException($"An embedding row of {row.Length} floats for a batch of width {EmbeddingSize}.", nameof(row));
        var b = Batch;
        var i = b->NTokens;
        row.CopyTo(new Span<float>(b->Embd + (long)i * EmbeddingSize, EmbeddingSize));
        b->Pos[i] = position;
        b->NSeqId[i] = sequences.Length;
        for (var s = 0; s < sequences.Length; s++) b->SeqId[i][s] = sequences[s];
        b->Logits[i] = output ? (sbyte)1 : (sbyte)0;
        b->NTokens = i + 1;
    }


    protected override bool ReleaseHandle()
    {
        LlamaNative.BatchFree(*(LlamaBatch*)handle);
        NativeMemory.Free((void*)handle);
        return true;
    }
}
