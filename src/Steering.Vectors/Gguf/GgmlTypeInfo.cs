using System.Diagnostics.CodeAnalysis;

namespace LlamaSteer.Gguf;

/// <summary>
/// Block layout of each <see cref="GgmlType"/>: how many elements one block holds and how many bytes it
/// takes, copied from <c>type_traits</c> in ggml/src/ggml.c (llama.cpp v0.5.0), where the sizes are
/// <c>sizeof(block_…)</c> from ggml-common.h. Stateless and thread-safe.
/// </summary>
public static class GgmlTypeInfo
{
    /// <summary>GGML_MAX_DIMS in ggml.h: a tensor has 1 to 4 dimensions.</summary>
    public const int MaxDimensions = 4;

    private readonly record struct Traits(string Name, int BlockSize, int TypeSize);

    private static readonly Dictionary<GgmlType, Traits> Table = new()
    {
        [GgmlType.F32] = new("f32", 1, 4),
        [GgmlType.F16] = new("f16", 1, 2),
        [GgmlType.Q4_0] = new("q4_0", 32, 18),
        [GgmlType.Q4_1] = new("q4_1", 32, 20),
        [GgmlType.Q5_0] = new("q5_0", 32, 22),
        [GgmlType.Q5_1] = new("q5_1", 32, 24),
        [GgmlType.Q8_0] = new("q8_0", 32, 34),
        [GgmlType.Q8_1] = new("q8_1", 32, 36),
        [GgmlType.Q2_K] = new("q2_K", 256, 84),
        [GgmlType.Q3_K] = new("q3_K", 256, 110),
        [GgmlType.Q4_K] = new("q4_K", 256, 144),
        [GgmlType.Q5_K] = new("q5_K", 256, 176),
        [GgmlType.Q6_K] = new("q6_K", 256, 210),
        [GgmlType.Q8_K] = new("q8_K", 256, 292),
        [GgmlType.IQ2_XXS] = new("iq2_xxs", 256, 66),
        [GgmlType.IQ2_XS] = new("iq2_xs", 256, 74),
        [GgmlType.IQ3_XXS] = new("iq3_xxs", 256, 98),
        [GgmlType.IQ1_S] = new("iq1_s", 256, 50),
        [GgmlType.IQ4_NL] = new("iq4_nl", 32, 18),
        [GgmlType.IQ3_S] = new("iq3_s", 256, 110),
        [GgmlType.IQ2_S] = new("iq2_s", 256, 82),
        [GgmlType.IQ4_XS] = new("iq4_xs", 256, 136),
        [GgmlType.I8] = new("i8", 1, 1),
        [GgmlType.I16] = new("i16", 1, 2),
        [GgmlType.I32] = new("i32", 1, 4),
        [GgmlType.I64] = new("i64", 1, 8),
        [GgmlType.F64] = new("f64", 1, 8),
        [GgmlType.IQ1_M] = new("iq1_m", 256, 56),
        [GgmlType.BF16] = new("bf16", 1, 2),
        [GgmlType.TQ1_0] = new("tq1_0", 256, 54),
        [GgmlType.TQ2_0] = new("tq2_0", 256, 66),
        [GgmlType.MXFP4] = new("mxfp4", 32, 17),
        [GgmlType.NVFP4] = new("nvfp4", 64, 36),
        [GgmlType.Q1_0] = new("q1_0", 128, 18),
        [GgmlType.Q2_0] = new("q2_0", 64, 18),
    };

    /// <summary>Every type this table knows, in id order.</summary>
    public static IReadOnlyList<GgmlType> KnownTypes { get; } = Table.Keys.Order().ToArray();

    /// <summary>Whether <paramref name="type"/> is a ggml type of this release (an id from a file may not be).</summary>
    public static bool IsKnown(GgmlType type) => Table.ContainsKey(type);

    /// <summary>Elements per block (1 for plain types such as F32, 32 or 256 for quantized ones).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The type is unknown.</exception>
    public static int BlockSize(GgmlType type) => Get(type).BlockSize;

    /// <summary>Bytes per block.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The type is unknown.</exception>
    public static int TypeSize(GgmlType type) => Get(type).TypeSize;

    /// <summary>ggml's own name for the type (<c>ggml_type_name</c>: "f32", "q4_K"), or "unknown(ID)".</summary>
    public static string Name(GgmlType type) =>
        Table.TryGetValue(type, out var traits) ? traits.Name : $"unknown({(uint)type})";

    /// <summary>Bytes of one row of <paramref name="elementsPerRow"/> elements (<c>ggml_row_size</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The type is unknown.</exception>
    /// <exception cref="ArgumentException">The count is not positive or not a multiple of the block size.</exception>
    public static long RowSize(GgmlType type, long elementsPerRow) => ByteSize(type, [elementsPerRow]);

    /// <summary>
    /// Bytes of a tensor of this type and shape: <c>ne[0] / block size * type size * ne[1] * ne[2] * ne[3]</c>
    /// (<c>ggml_nbytes</c> for a contiguous tensor).
    /// </summary>
    /// <param name="type">The element type.</param>
    /// <param name="dims">ne[0] (elements per row) first; 1 to 4 dimensions, each at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">The type is unknown.</exception>
    /// <exception cref="ArgumentException">The shape is invalid for the type, or its size overflows 64 bits.</exception>
    public static long ByteSize(GgmlType type, ReadOnlySpan<long> dims)
    {
        Get(type);
        if (!TryByteSize(type, dims, out var bytes, out var problem)) throw new ArgumentException(problem, nameof(dims));
        return bytes;
    }

    /// <summary>The product of the dimensions.</summary>
    /// <exception cref="ArgumentException">The shape is invalid or its product overflows 64 bits.</exception>
    public static long ElementCount(ReadOnlySpan<long> dims)
    {
        if (!TryElementCount(dims, out var count, out var problem)) throw new ArgumentException(problem, nameof(dims));
        return count;
    }

    /// <summary>The one place that decides whether a shape is valid; the reader and writer word its problem for their callers.</summary>
    internal static bool TryByteSize(GgmlType type, ReadOnlySpan<long> dims, out long bytes, [NotNullWhen(false)] out string? problem)
    {
        bytes = 0;
        if (!Table.TryGetValue(type, out var traits))
        {
            problem = $"unknown ggml type {(uint)type}";
            return false;
        }
        if (!TryElementCount(dims, out _, out problem)) return false;
        if (dims[0] % traits.BlockSize != 0)
        {
            problem = $"type {traits.Name} needs a row length (ne[0]) that is a multiple of its block size {traits.BlockSize}, but ne[0] is {dims[0]}";
            return false;
        }
        try
        {
            var total = checked(dims[0] / traits.BlockSize * traits.TypeSize);
            for (var i = 1; i < dims.Length; i++) total = checked(total * dims[i]);
            bytes = total;
            return true;
        }
        catch (OverflowException)
        {
            problem = $"shape {FormatShape(dims)} of type {traits.Name} needs more than {long.MaxValue:N0} bytes";
            return false;
        }
    }

    internal static bool TryElementCount(ReadOnlySpan<long> dims, out long count, [NotNullWhen(false)] out string? problem)
    {
        count = 0;
        if (dims.Length is < 1 or > MaxDimensions)
        {
            problem = $"{dims.Length} dimensions; a tensor has 1 to {MaxDimensions}";
            return false;
        }
        long product = 1;
        for (var i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 1)
            {
                problem = $"dimension {i} is {dims[i]}; every dimension must be at least 1";
                return false;
            }
            if (product > long.MaxValue / dims[i])
            {
                problem = $"shape {FormatShape(dims)} has more than {long.MaxValue:N0} elements";
                return false;
            }
            product *= dims[i];
        }
        count = product;
        problem = null;
        return true;
    }

    /// <summary>"[64, 512]": ne[0] first, as llama.cpp prints shapes.</summary>
    public static string FormatShape(ReadOnlySpan<long> dims)
    {
        var parts = new string[dims.Length];
        for (var i = 0; i < dims.Length; i++) parts[i] = dims[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return "[" + string.Join(", ", parts) + "]";
    }

    private static Traits Get(GgmlType type) =>
        Table.TryGetValue(type, out var traits)
            ? traits
            : throw new ArgumentOutOfRangeException(nameof(type), (uint)type, $"Unknown ggml type {(uint)type}; llama.cpp v0.5.0 does not define it.");
}
