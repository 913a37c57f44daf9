using System.Runtime.InteropServices;
using LlamaSteer.Native.Interop;

namespace LlamaSteer.Native.SafeHandles;

/// <summary>
/// Owns a <c>llama_batch</c> made by <c>llama_batch_init</c>. The struct itself lives in native
/// memory so its arrays are freed exactly once, by <c>llama_batch_free</c>.
/// </summary>
public sealed unsafe class SafeLlamaBatchHandle : SafeHandle
{
    private SafeLlamaBatchHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    /// <summary>Allocates a batch for up to <paramref name="capacity"/> tokens, each in up to <paramref name="maxSequencesPerToken"/> sequences.</summary>
    internal static SafeLlamaBatchHandle Create(int capacity, int maxSequencesPerToken)
    {
        var native = (LlamaBatch*)NativeMemory.AllocZeroed((nuint)sizeof(LlamaBatch));
        *native = LlamaNative.BatchInit(capacity, 0, maxSequencesPerToken);
        var h = new SafeLlamaBatchHandle();
        h.SetHandle((IntPtr)native);
        return h;
    }

    internal LlamaBatch* Batch => (LlamaBatch*)handle;

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LlamaNative.BatchFree(*(LlamaBatch*)handle);
        NativeMemory.Free((void*)handle);
        return true;
    }
}
