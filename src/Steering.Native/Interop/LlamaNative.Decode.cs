using System.Runtime.InteropServices;

namespace LlamaSteer.Native.Interop;

internal static unsafe partial class LlamaNative
{
    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_batch_init")]
    public static partial LlamaBatch BatchInit(int nTokens, int embd, int nSeqMax);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_batch_free")]
    public static partial void BatchFree(LlamaBatch batch);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_decode")]
    public static partial int Decode(IntPtr ctx, LlamaBatch batch);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_synchronize")]
    public static partial void Synchronize(IntPtr ctx);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_get_logits_ith")]
    public static partial float* GetLogitsIth(IntPtr ctx, int i);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_perf_context_reset")]
    public static partial void PerfContextReset(IntPtr ctx);
}
