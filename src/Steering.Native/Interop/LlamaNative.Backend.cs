using System.Runtime.InteropServices;

namespace LlamaSteer.Native.Interop;

internal static unsafe partial class LlamaNative
{
    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_version")]
    public static partial byte* Version();

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_backend_init")]
    public static partial void BackendInit();

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_print_system_info")]
    public static partial byte* PrintSystemInfo();

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_log_set")]
    public static partial void LogSet(delegate* unmanaged<int, byte*, IntPtr, void> callback, IntPtr userData);

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_supports_gpu_offload")]
    public static partial byte SupportsGpuOffload();

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_supports_mmap")]
    public static partial byte SupportsMmap();

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_max_devices")]
    public static partial nuint MaxDevices();

    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_time_us")]
    public static partial long TimeUs();
}
