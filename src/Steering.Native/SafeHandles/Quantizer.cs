using LlamaSteer.Native.Interop;
using LlamaSteer.Native.Runtime;

namespace LlamaSteer.Native.SafeHandles;

/// <summary>
/// ggml's own conversion of F32 rows into another tensor type (<c>ggml_quantize_chunk</c>), so that
/// quantized data is laid out exactly as llama.cpp expects. Types are <c>enum ggml_type</c> ids.
/// Every argument is checked before native code runs, because ggml aborts the process on a bad one.
/// Stateless and thread-safe: several threads may quantize different rows at once.
/// </summary>
public static unsafe class Quantizer
{
    // The cases of the switch in ggml_quantize_chunk (ggml/src/ggml.c of llama.cpp v0.5.0); any other id aborts there.
    private static readonly HashSet<int> ConvertibleTypes =
    [
        0, 1, 2, 3, 6, 7, 8, // f32, f16, q4_0, q4_1, q5_0, q5_1, q8_0
        10, 11, 12, 13, 14, // q2_K .. q6_K
        16, 17, 18, 19, 20, 21, 22, 23, // iq2_xxs, iq2_xs, iq3_xxs, iq1_s, iq4_nl, iq3_s, iq2_s, iq4_xs
        29, 30, 34, 35, // iq1_m, bf16, tq1_0, tq2_0
        39, 40, 41, 42, // mxfp4, nvfp4, q1_0, q2_0
    ];

    /// <summary>
    /// Whether <see cref="QuantizeRows(int, ReadOnlySpan{float}, long, Span{byte})"/> accepts the type: ggml can convert
    /// F32 into it without an importance matrix (iq2_xxs, iq2_xs and iq1_s need one, and are refused).
    /// </summary>
    /// <exception cref="NativeRuntimeException">The llama.cpp runtime is missing or of the wrong release.</exception>
    public static bool CanQuantize(int ggmlType)
    {
        if (!ConvertibleTypes.Contains(ggmlType)) return false;
        NativeRuntime.EnsureLoaded();
        return GgmlBaseNative.QuantizeRequiresImatrix(ggmlType) == 0;
    }

    /// <summary>Bytes of one row of <paramref name="rowLength"/> elements in the type (<c>ggml_row_size</c>).</summary>
    /// <exception cref="ArgumentException">The type cannot be quantized to (see <see cref="CanQuantize"/>), or the row length is not a positive multiple of its block size.</exception>
    /// <exception cref="NativeRuntimeException">The llama.cpp runtime is missing or of the wrong release.</exception>
    public static long RowSize(int ggmlType, long rowLength)
    {
        CheckType(ggmlType);
        CheckRowLength(ggmlType, rowLength);
        return checked((long)GgmlBaseNative.RowSize(ggmlType, rowLength));
    }

    /// <summary>
    /// Converts whole rows of F32 values into the type, writing <c>rows * RowSize(type, rowLength)</c> bytes at the
    /// start of <paramref name="destination"/>, and returns that count. Uses ggml's reference quantization (no
    /// importance matrix).
    /// </summary>
    /// <param name="source">Whole rows, ne[0] varying fastest: a multiple of <paramref name="rowLength"/> values.</param>
    /// <exception cref="ArgumentException">The type cannot be quantized to, the row length is not a positive multiple of its block size,
    /// <paramref name="source"/> is empty or not whole rows, or <paramref name="destination"/> is too small.</exception>
    /// <exception cref="NativeRuntimeException">The llama.cpp runtime is missing or of the wrong release.</exception>
    /// <exception cref="NativeCallException">ggml wrote a different number of bytes than the rows take.</exception>
    public static long QuantizeRows(int ggmlType, ReadOnlySpan<float> source, long rowLength, Span<byte> destination)
    {
        var rowSize = RowSize(ggmlType, rowLength);
        if (source.IsEmpty || source.Length % rowLength != 0)
            throw new ArgumentException($"The source holds {source.Length:N0} values, which is not a positive whole number of rows of {rowLength:N0}.", nameof(source));
        var rows = source.Length / rowLength;
        var bytes = checked(rows * rowSize);
        if (destination.Length < bytes)
            throw new ArgumentException($"{rows:N0} rows of {rowLength:N0} values take {bytes:N0} bytes in type {ggmlType}, but the destination holds {destination.Length:N0}.", nameof(destination));
        nuint written;
        fixed (float* src = source)
        fixed (byte* dst = destination)
            written = GgmlBaseNative.QuantizeChunk(ggmlType, src, dst, 0, rows, rowLength, null);
        if ((long)written != bytes)
            throw new NativeCallException($"ggml_quantize_chunk wrote {written:N0} bytes for {rows:N0} rows of type {ggmlType}, expected {bytes:N0}.");
        return bytes;
    }

    /// <summary>Converts whole rows of F32 values into the type and returns the bytes (see the overload with a destination).</summary>
    /// <exception cref="ArgumentException">The type cannot be quantized to, the row length is not a positive multiple of its block size, or <paramref name="source"/> is empty or not whole rows.</exception>
    /// <exception cref="NativeRuntimeException">The llama.cpp runtime is missing or of the wrong release.</exception>
    public static byte[] QuantizeRows(int ggmlType, ReadOnlySpan<float> source, long rowLength)
    {
        var rowSize = RowSize(ggmlType, rowLength);
        if (source.IsEmpty || source.Length % rowLength != 0)
            throw new ArgumentException($"The source holds {source.Length:N0} values, which is not a positive whole number of rows of {rowLength:N0}.", nameof(source));
        var result = new byte[checked(source.Length / rowLength * rowSize)];
        QuantizeRows(ggmlType, source, rowLength, result);
        return result;
    }

    private static void CheckType(int ggmlType)
    {
        if (!ConvertibleTypes.Contains(ggmlType))
            throw new ArgumentException($"ggml cannot convert F32 into type {ggmlType}.", nameof(ggmlType));
        NativeRuntime.EnsureLoaded();
        if (GgmlBaseNative.QuantizeRequiresImatrix(ggmlType) != 0)
            throw new ArgumentException($"Type {ggmlType} ({NativeRuntime.Utf8(GgmlBaseNative.TypeName(ggmlType))}) needs an importance matrix to quantize; this quantizer has none.", nameof(ggmlType));
    }

    private static void CheckRowLength(int ggmlType, long rowLength)
    {
        var blockSize = GgmlBaseNative.BlockSize(ggmlType);
        if (rowLength <= 0 || rowLength % blockSize != 0)
            throw new ArgumentException($"Type {NativeRuntime.Utf8(GgmlBaseNative.TypeName(ggmlType))} needs a row length that is a positive multiple of its block size {blockSize}, not {rowLength}.", nameof(rowLength));
    }
}
