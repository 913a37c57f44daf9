using System.Reflection;
using System.Runtime.InteropServices;
using LLama.Native;

namespace LlamaSteer.LLamaSharp.Interop;

/// <summary>
/// The few ggml-base functions the evaluation callback needs, bound to the libggml-base that LLamaSharp's backend
/// already loaded (as a dependency of its libllama). The library is asked for by its soname only after LLamaSharp has
/// loaded its own, so the loader hands back that copy instead of searching for another.
/// </summary>
internal static unsafe partial class GgmlBase
{
    private const string Library = "ggml-base";

    static GgmlBase()
    {
        // Loads LLamaSharp's native libraries (NativeApi's static constructor) before ggml-base is resolved.
        NativeApi.llama_max_devices();
        NativeLibrary.SetDllImportResolver(typeof(GgmlBase).Assembly, Resolve);
    }

    /// <summary>Runs the static constructor: binds the library before the first callback needs it.</summary>
    public static void EnsureBound()
    {
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library) return IntPtr.Zero;
        var file = OperatingSystem.IsWindows() ? "ggml-base.dll" : OperatingSystem.IsMacOS() ? "libggml-base.dylib" : "libggml-base.so";
        if (NativeLibrary.TryLoad(file, out var handle)) return handle;
        throw new DllNotFoundException($"{file} (LLamaSharp's ggml) is not loaded; per-token steering needs the native library of a LLamaSharp backend package (LLamaSharp.Backend.Cpu, ...).");
    }

    [LibraryImport(Library, EntryPoint = "ggml_get_name")]
    public static partial byte* GetName(IntPtr tensor);

    [LibraryImport(Library, EntryPoint = "ggml_backend_tensor_get")]
    public static partial void BackendTensorGet(IntPtr tensor, void* data, nuint offset, nuint size);

    [LibraryImport(Library, EntryPoint = "ggml_backend_tensor_set")]
    public static partial void BackendTensorSet(IntPtr tensor, void* data, nuint offset, nuint size);
}

/// <summary>
/// The head of <c>struct ggml_tensor</c> (ggml.h): type, buffer, ne[4], nb[4], unchanged across ggml releases.
/// Only these fields are read; the name goes through <c>ggml_get_name</c>.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct GgmlTensorHead
{
    public int Type;
    public IntPtr Buffer;
    public fixed long Ne[4];
    public fixed ulong Nb[4];
}
