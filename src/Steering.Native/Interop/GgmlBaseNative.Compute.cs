using System.Runtime.InteropServices;

namespace LlamaSteer.Native.Interop;

// Imports from libggml-base for running graphs: backends, the graph allocator, and gguf files with their tensor data
// (ggml-backend.h, ggml-alloc.h, gguf.h).
internal static unsafe partial class GgmlBaseNative
{
    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_backend_dev_init", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr BackendDevInit(IntPtr device, string? parameters);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_backend_reg_get_proc_address", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr BackendRegGetProcAddress(IntPtr reg, string name);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_backend_free")]
    public static partial void BackendFree(IntPtr backend);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_backend_get_default_buffer_type")]
    public static partial IntPtr BackendGetDefaultBufferType(IntPtr backend);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_backend_graph_compute")]
    public static partial int BackendGraphCompute(IntPtr backend, IntPtr graph);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_gallocr_new")]
    public static partial IntPtr GallocrNew(IntPtr bufferType);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_gallocr_free")]
    public static partial void GallocrFree(IntPtr galloc);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_gallocr_alloc_graph")]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool GallocrAllocGraph(IntPtr galloc, IntPtr graph);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_gallocr_get_buffer_size")]
    public static partial nuint GallocrGetBufferSize(IntPtr galloc, int bufferId);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "gguf_init_from_file", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr GgufInitFromFile(string fileName, GgufInitParams parameters);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "gguf_free")]
    public static partial void GgufFree(IntPtr gguf);
}
