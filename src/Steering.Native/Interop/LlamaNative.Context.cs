using System.Runtime.InteropServices;

namespace LlamaSteer.Native.Interop;

internal static unsafe partial class LlamaNative
{
    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_context_default_params")]
    public static partial LlamaContextParams ContextDefaultParams();

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_init_from_model")]
    public static partial IntPtr InitFromModel(IntPtr model, LlamaContextParams @params);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_free")]
    public static partial void Free(IntPtr ctx);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_n_ctx")]
    public static partial uint NCtx(IntPtr ctx);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_n_batch")]
    public static partial uint NBatch(IntPtr ctx);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_n_ubatch")]
    public static partial uint NUbatch(IntPtr ctx);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_n_seq_max")]
    public static partial uint NSeqMax(IntPtr ctx);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_set_n_threads")]
    public static partial void SetNThreads(IntPtr ctx, int nThreads, int nThreadsBatch);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_get_memory")]
    public static partial IntPtr GetMemory(IntPtr ctx);
}
