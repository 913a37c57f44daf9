using LlamaSteer.Native.SafeHandles;

namespace LlamaSteer.Inference;

/// <summary>
/// Exclusive use of an <see cref="InferenceContext"/> until disposed. Not thread-safe itself: use it
/// from the flow that acquired it.
/// </summary>
public readonly struct ContextLease : IDisposable
{
    private readonly InferenceContext _context;

    internal ContextLease(InferenceContext context) => _context = context;

    public InferenceContext Context => _context;

    /// <summary>
    /// Decodes the batch: its tokens enter the KV cache of their sequences, and entries marked as output get logits.
    /// No KV slot and abort are returned as statuses; everything else throws.
    /// </summary>
    /// <param name="hook">Sees (and may edit) graph tensors during this decode; needs a context created with EnableGraphHooks.</param>
    /// <exception cref="Errors.ContextOverflowException">More tokens than the batch size, or a position past the context.</exception>
    /// <exception cref="Errors.DecodeException">llama.cpp failed.</exception>
    public DecodeStatus Decode(TokenBatch batch, IGraphHook? hook = null) => _context.DecodeUnderLease(batch, hook);

    /// <summary>
    /// Logits of the batch entry <paramref name="batchIndex"/> (negative: from the end) of the last decode.
    /// The span points into llama.cpp's buffer: valid until the next decode, never beyond this lease.
    /// </summary>
    public ReadOnlySpan<float> Logits(int batchIndex) => _context.Handle.Logits(batchIndex);

    public void ClearMemory() => _context.Handle.ClearMemory();

    /// <summary>Removes positions [from, to) of a sequence (-1 for open ends).</summary>
    public bool RemoveTokens(int sequence, int from = -1, int to = -1) => _context.Handle.RemoveSequence(sequence, from, to);

    public void CopySequence(int source, int destination, int from = -1, int to = -1) => _context.Handle.CopySequence(source, destination, from, to);

    public void KeepOnly(int sequence) => _context.Handle.KeepSequence(sequence);

    /// <summary>The last position stored for a sequence, or -1 when it is empty.</summary>
    public int LastPosition(int sequence) => _context.Handle.SequencePositionMax(sequence);

    /// <summary>
    /// Sets llama.cpp's control vector for the whole context: <paramref name="perLayer"/> holds n_embd floats per layer
    /// from layer 1 (entry il-1 is added to l_out-il); empty clears it.
    /// </summary>
    public void SetControlVector(ReadOnlySpan<float> perLayer, int firstLayer, int lastLayer) =>
        _context.Handle.SetControlVector(perLayer, _context.Model.EmbeddingSize, firstLayer, lastLayer);

    public void Dispose() => _context?.Leave();
}
