using System.Runtime.InteropServices;
using LlamaSteer.Native.Interop;
using LlamaSteer.Native.Runtime;

namespace LlamaSteer.Native.SafeHandles;

/// <summary>
/// Owns a <c>llama_context</c> and keeps its model alive (DangerousAddRef) until the context is freed.
/// Not thread-safe: llama.cpp contexts must be used by one thread at a time; the engine's
/// InferenceContext serialises access.
/// </summary>
public sealed unsafe class SafeLlamaContextHandle : OwnedHandle
{
    private readonly SafeLlamaModelHandle? _model;
    private readonly int _vocabSize;

    private SafeLlamaContextHandle() { }

    internal SafeLlamaContextHandle(IntPtr handle, SafeLlamaModelHandle model) : this()
    {
        var added = false;
        model.DangerousAddRef(ref added);
        _model = model;
        _vocabSize = model.VocabularySize;
        SetHandle(handle);
    }


    protected override bool ReleaseHandle()
    {
        LlamaNative.Free(handle);
        _model?.DangerousRelease();
        return true;
    }

    private IntPtr Raw => Live;

    public int ContextSize => (int)LlamaNative.NCtx(Raw);
    public int BatchSize => (int)LlamaNative.NBatch(Raw);
    public int MaxSequences => (int)LlamaNative.NSeqMax(Raw);

    public void SetThreads(int threads, int batchThreads) => LlamaNative.SetNThreads(Raw, threads, batchThreads);

    /// <summary>Decodes a batch. Expected outcomes are returned; failures throw.</summary>
    /// <exception cref="NativeCallException">Invalid batch (return code -1) or a compute failure.</exception>
    public DecodeStatus Decode(SafeLlamaBatchHandle batch)
    {
        NativeLog.ClearRecent();
        var rc = LlamaNative.Decode(Raw, *batch.Batch);
        return rc switch
        {
            0 => DecodeStatus.Ok,
            1 => DecodeStatus.NoKvSlot,
            2 => DecodeStatus.Aborted,
            -1 => throw NativeCallException.From("llama_decode rejected the batch as invalid."),
            _ => throw NativeCallException.From($"llama_decode failed with code {rc}."),
        };
    }

    /// <summary>
    /// The logits produced for the batch token at <paramref name="batchIndex"/> (negative counts from the end).
    /// The span points into llama.cpp's buffer: it is valid only until the next decode and must not outlive this context.
    /// </summary>
    public ReadOnlySpan<float> Logits(int batchIndex)
    {
        NativeLog.ClearRecent();
        var p = LlamaNative.GetLogitsIth(Raw, batchIndex);
        if (p == null) throw NativeCallException.From($"No logits for batch index {batchIndex}; that token was not marked for output.");
        return new ReadOnlySpan<float>(p, _vocabSize);
    }

    // ---- memory (KV cache) per sequence ----

    public void ClearMemory() => LlamaNative.MemoryClear(LlamaNative.GetMemory(Raw), 1);

    /// <summary>Removes positions [p0, p1) of a sequence (-1: all); seq -1 means every sequence. False if a partial removal is impossible.</summary>
    public bool RemoveSequence(int sequence, int p0 = -1, int p1 = -1) => LlamaNative.MemorySeqRm(LlamaNative.GetMemory(Raw), sequence, p0, p1) != 0;

    public void CopySequence(int source, int destination, int p0 = -1, int p1 = -1) => LlamaNative.MemorySeqCp(LlamaNative.GetMemory(Raw), source, destination, p0, p1);

    public void KeepSequence(int sequence) => LlamaNative.MemorySeqKeep(LlamaNative.GetMemory(Raw), sequence);

    /// <summary>The largest position stored for a sequence, or -1 when it is empty.</summary>
    public int SequencePositionMax(int sequence) => LlamaNative.MemorySeqPosMax(LlamaNative.GetMemory(Raw), sequence);

    // ---- control vector ----

    /// <summary>
    /// Sets the control vector: <paramref name="data"/> holds n_embd floats per layer, starting at layer 1
    /// (data[(il-1)*n_embd] is added to the output of layer il), applied to layers [ilStart, ilEnd].
    /// An empty span clears it.
    /// </summary>
    public void SetControlVector(ReadOnlySpan<float> data, int embeddingSize, int ilStart, int ilEnd)
    {
        NativeLog.ClearRecent();
        int rc;
        fixed (float* d = data)
            rc = data.IsEmpty
                ? LlamaNative.SetAdapterCvec(Raw, null, 0, embeddingSize, ilStart, ilEnd)
                : LlamaNative.SetAdapterCvec(Raw, d, (nuint)data.Length, embeddingSize, ilStart, ilEnd);
        if (rc != 0) throw NativeCallException.From("llama.cpp rejected the control vector.");
    }
}
