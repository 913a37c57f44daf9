using System.Runtime.InteropServices;
using LlamaSteer.Gguf;
using LlamaSteer.Native.Runtime;

namespace LlamaSteer.Core.Tests.Gguf;

/// <summary>
/// llama.cpp's own GGUF reader and type table (libggml-base of the pinned runtime), called through function
/// pointers, so the managed reader and writer can be checked against the reference implementation.
/// </summary>
internal static unsafe class LlamaCppGguf
{
    /// <summary>Mirror of <c>struct gguf_init_params</c> (gguf.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct InitParams
    {
        public byte NoAlloc;
        public IntPtr Context;
    }

    public sealed record Tensor(string Name, GgmlType Type, long[] Ne, long Offset, long Size);

    public sealed record Contents(uint Version, long Alignment, long DataOffset, IReadOnlyList<(string Key, GgufMetadataValue Value)> Metadata, IReadOnlyList<Tensor> Tensors);

    private static readonly Lazy<IntPtr> Library = new(() =>
    {
        var directory = NativeRuntime.EnsureLoaded().Directory;
        var file = new[] { "libggml-base.so", "libggml-base.dylib", "ggml-base.dll" }.Select(f => Path.Combine(directory, f)).FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"No libggml-base in {directory}.");
        return NativeLibrary.Load(file);
    });

    private static IntPtr Fn(string name) => NativeLibrary.GetExport(Library.Value, name);

    public static long BlockSize(GgmlType type) => ((delegate* unmanaged<int, long>)Fn("ggml_blck_size"))((int)type);

    public static long TypeSize(GgmlType type) => (long)((delegate* unmanaged<int, nuint>)Fn("ggml_type_size"))((int)type);

    public static string? TypeName(GgmlType type) => Utf8(((delegate* unmanaged<int, byte*>)Fn("ggml_type_name"))((int)type));

    /// <summary>What gguf_init_from_file (metadata only) makes of the file, or null when it refuses it.</summary>
    public static Contents? Read(string path)
    {
        var pathBytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        IntPtr context;
        fixed (byte* p = pathBytes)
            context = ((delegate* unmanaged<byte*, InitParams, IntPtr>)Fn("gguf_init_from_file"))(p, new InitParams { NoAlloc = 1 });
        if (context == IntPtr.Zero) return null;
        try
        {
            var metadata = new List<(string, GgufMetadataValue)>();
            var kvCount = ((delegate* unmanaged<IntPtr, long>)Fn("gguf_get_n_kv"))(context);
            for (long i = 0; i < kvCount; i++)
                metadata.Add((Utf8(((delegate* unmanaged<IntPtr, long, byte*>)Fn("gguf_get_key"))(context, i))!, Value(context, i)));

            var tensors = new List<Tensor>();
            var tensorCount = ((delegate* unmanaged<IntPtr, long>)Fn("gguf_get_n_tensors"))(context);
            for (long i = 0; i < tensorCount; i++)
            {
                var ne = ((delegate* unmanaged<IntPtr, long, long*>)Fn("gguf_get_tensor_ne"))(context, i);
                tensors.Add(new Tensor(
                    Utf8(((delegate* unmanaged<IntPtr, long, byte*>)Fn("gguf_get_tensor_name"))(context, i))!,
                    (GgmlType)((delegate* unmanaged<IntPtr, long, int>)Fn("gguf_get_tensor_type"))(context, i),
                    new ReadOnlySpan<long>(ne, 4).ToArray(),
                    (long)((delegate* unmanaged<IntPtr, long, nuint>)Fn("gguf_get_tensor_offset"))(context, i),
                    (long)((delegate* unmanaged<IntPtr, long, nuint>)Fn("gguf_get_tensor_size"))(context, i)));
            }
            return new Contents(
                ((delegate* unmanaged<IntPtr, uint>)Fn("gguf_get_version"))(context),
                (long)((delegate* unmanaged<IntPtr, nuint>)Fn("gguf_get_alignment"))(context),
                (long)((delegate* unmanaged<IntPtr, nuint>)Fn("gguf_get_data_offset"))(context),
                metadata, tensors);
        }
        finally
        {
            ((delegate* unmanaged<IntPtr, void>)Fn("gguf_free"))(context);
        }
    }

    private static GgufMetadataValue Value(IntPtr context, long id)
    {
        var type = (GgufValueType)((delegate* unmanaged<IntPtr, long, int>)Fn("gguf_get_kv_type"))(context, id);
        if (type == GgufValueType.String) return GgufMetadataValue.From(Utf8(((delegate* unmanaged<IntPtr, long, byte*>)Fn("gguf_get_val_str"))(context, id))!);
        if (type != GgufValueType.Array)
        {
            var data = ((delegate* unmanaged<IntPtr, long, void*>)Fn("gguf_get_val_data"))(context, id);
            return ScalarAt(type, data);
        }

        var elementType = (GgufValueType)((delegate* unmanaged<IntPtr, long, int>)Fn("gguf_get_arr_type"))(context, id);
        var n = (int)((delegate* unmanaged<IntPtr, long, nuint>)Fn("gguf_get_arr_n"))(context, id);
        if (elementType == GgufValueType.String)
        {
            var strings = new string[n];
            for (var i = 0; i < n; i++) strings[i] = Utf8(((delegate* unmanaged<IntPtr, long, nuint, byte*>)Fn("gguf_get_arr_str"))(context, id, (nuint)i))!;
            return GgufMetadataValue.From(strings);
        }
        var items = n == 0 ? null : ((delegate* unmanaged<IntPtr, long, void*>)Fn("gguf_get_arr_data"))(context, id);
        return elementType switch
        {
            GgufValueType.UInt8 => GgufMetadataValue.From(new ReadOnlySpan<byte>(items, n).ToArray()),
            GgufValueType.Int8 => GgufMetadataValue.From(new ReadOnlySpan<sbyte>(items, n).ToArray()),
            GgufValueType.UInt16 => GgufMetadataValue.From(new ReadOnlySpan<ushort>(items, n).ToArray()),
            GgufValueType.Int16 => GgufMetadataValue.From(new ReadOnlySpan<short>(items, n).ToArray()),
            GgufValueType.UInt32 => GgufMetadataValue.From(new ReadOnlySpan<uint>(items, n).ToArray()),
            GgufValueType.Int32 => GgufMetadataValue.From(new ReadOnlySpan<int>(items, n).ToArray()),
            GgufValueType.Float32 => GgufMetadataValue.From(new ReadOnlySpan<float>(items, n).ToArray()),
            GgufValueType.Bool => GgufMetadataValue.From(new ReadOnlySpan<byte>(items, n).ToArray().Select(b => b != 0).ToArray()),
            GgufValueType.UInt64 => GgufMetadataValue.From(new ReadOnlySpan<ulong>(items, n).ToArray()),
            GgufValueType.Int64 => GgufMetadataValue.From(new ReadOnlySpan<long>(items, n).ToArray()),
            GgufValueType.Float64 => GgufMetadataValue.From(new ReadOnlySpan<double>(items, n).ToArray()),
            _ => throw new InvalidOperationException($"llama.cpp returned array element type {elementType}."),
        };
    }

    private static GgufMetadataValue ScalarAt(GgufValueType type, void* data) => type switch
    {
        GgufValueType.UInt8 => GgufMetadataValue.From(*(byte*)data),
        GgufValueType.Int8 => GgufMetadataValue.From(*(sbyte*)data),
        GgufValueType.UInt16 => GgufMetadataValue.From(*(ushort*)data),
        GgufValueType.Int16 => GgufMetadataValue.From(*(short*)data),
        GgufValueType.UInt32 => GgufMetadataValue.From(*(uint*)data),
        GgufValueType.Int32 => GgufMetadataValue.From(*(int*)data),
        GgufValueType.Float32 => GgufMetadataValue.From(*(float*)data),
        GgufValueType.Bool => GgufMetadataValue.From(*(byte*)data != 0),
        GgufValueType.UInt64 => GgufMetadataValue.From(*(ulong*)data),
        GgufValueType.Int64 => GgufMetadataValue.From(*(long*)data),
        GgufValueType.Float64 => GgufMetadataValue.From(*(double*)data),
        _ => throw new InvalidOperationException($"llama.cpp returned value type {type}."),
    };

    private static string? Utf8(byte* s) => s == null ? null : Marshal.PtrToStringUTF8((IntPtr)s);
}
