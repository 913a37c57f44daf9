using System.Runtime.InteropServices;

namespace LlamaSteer.Native.Interop;

/// <summary>Imports from libggml (the backend registry).</summary>
internal static unsafe partial class GgmlNative
{
    [LibraryImport(LibraryNames.Ggml, EntryPoint = "ggml_backend_load_all_from_path", StringMarshalling = StringMarshalling.Utf8)]
    public static partial void BackendLoadAllFromPath(string dir);

    [LibraryImport(LibraryNames.Ggml, EntryPoint = "ggml_backend_reg_count")]
    public static partial nuint BackendRegCount();

    [LibraryImport(LibraryNames.Ggml, EntryPoint = "ggml_backend_reg_get")]
    public static partial IntPtr BackendRegGet(nuint index);

    [LibraryImport(LibraryNames.Ggml, EntryPoint = "ggml_backend_dev_count")]
    public static partial nuint BackendDevCount();

    [LibraryImport(LibraryNames.Ggml, EntryPoint = "ggml_backend_dev_get")]
    public static partial IntPtr BackendDevGet(nuint index);

    [LibraryImport(LibraryNames.Ggml, EntryPoint = "ggml_backend_dev_by_type")]
    public static partial IntPtr BackendDevByType(int type);
}
