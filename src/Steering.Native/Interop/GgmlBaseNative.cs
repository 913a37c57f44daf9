using System.Runtime.InteropServices;

namespace LlamaSteer.Native.Interop;

/// <summary>Imports from libggml-base (tensors, devices, gguf).</summary>
internal static unsafe partial class GgmlBaseNative
{
    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_backend_reg_name")]
    public static partial byte* BackendRegName(IntPtr reg);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_backend_dev_name")]
    public static partial byte* BackendDevName(IntPtr dev);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_backend_dev_description")]
    public static partial byte* BackendDevDescription(IntPtr dev);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_backend_dev_backend_reg")]
    public static partial IntPtr BackendDevBackendReg(IntPtr dev);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_backend_dev_type")]
    public static partial int BackendDevType(IntPtr dev);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_backend_dev_memory")]
    public static partial void BackendDevMemory(IntPtr dev, nuint* free, nuint* total);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_backend_tensor_get")]
    public static partial void BackendTensorGet(GgmlTensor* tensor, void* data, nuint offset, nuint size);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_backend_tensor_set")]
    public static partial void BackendTensorSet(GgmlTensor* tensor, void* data, nuint offset, nuint size);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_backend_buffer_is_host")]
    public static partial byte BackendBufferIsHost(IntPtr buffer);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_log_set")]
    public static partial void LogSet(delegate* unmanaged<int, byte*, IntPtr, void> callback, IntPtr userData);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_type_name")]
    public static partial byte* TypeName(int type);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_blck_size")]
    public static partial long BlockSize(int type);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_row_size")]
    public static partial nuint RowSize(int type, long ne);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_quantize_chunk")]
    public static partial nuint QuantizeChunk(int type, float* src, void* dst, long start, long nrows, long nPerRow, float* imatrix);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_quantize_requires_imatrix")]
    public static partial byte QuantizeRequiresImatrix(int type);
}
