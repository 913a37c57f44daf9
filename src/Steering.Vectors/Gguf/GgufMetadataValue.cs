using System.Collections;
using System.Globalization;
using System.Text;

namespace LlamaSteer.Gguf;

/// <summary>
/// One typed GGUF metadata value: a scalar (<see cref="Value"/> is the boxed byte, sbyte, ushort, short,
/// uint, int, float, bool, string, ulong, long or double) or an array (<see cref="Type"/> is
/// <see cref="GgufValueType.Array"/>, <see cref="ElementType"/> says of what, and <see cref="Value"/> is
/// the typed .NET array: byte[], int[], float[], string[] …). Nested arrays are not representable:
/// llama.cpp refuses them. Immutable and thread-safe, provided nobody writes into the array that
/// <see cref="Value"/> returns (it is not copied on every access).
/// </summary>
public sealed class GgufMetadataValue : IEquatable<GgufMetadataValue>
{
    /// <summary>Items an array shows in <see cref="ToString"/>.</summary>
    public const int DefaultArrayItems = 8;

    private GgufMetadataValue(GgufValueType type, GgufValueType? elementType, object value)
    {
        Type = type;
        ElementType = elementType;
        Value = value;
    }

    /// <summary>The value's type; <see cref="GgufValueType.Array"/> for arrays.</summary>
    public GgufValueType Type { get; }

    /// <summary>The element type of an array; null for a scalar.</summary>
    public GgufValueType? ElementType { get; }

    /// <summary>The boxed scalar, or the typed array.</summary>
    public object Value { get; }

    public bool IsArray => Type == GgufValueType.Array;

    /// <summary>The array's length; 1 for a scalar.</summary>
    public int Count => Value is Array array ? array.Length : 1;

    public static GgufMetadataValue From(byte value) => new(GgufValueType.UInt8, null, value);
    public static GgufMetadataValue From(sbyte value) => new(GgufValueType.Int8, null, value);
    public static GgufMetadataValue From(ushort value) => new(GgufValueType.UInt16, null, value);
    public static GgufMetadataValue From(short value) => new(GgufValueType.Int16, null, value);
    public static GgufMetadataValue From(uint value) => new(GgufValueType.UInt32, null, value);
    public static GgufMetadataValue From(int value) => new(GgufValueType.Int32, null, value);
    public static GgufMetadataValue From(float value) => new(GgufValueType.Float32, null, value);
    public static GgufMetadataValue From(bool value) => new(GgufValueType.Bool, null, value);
    public static GgufMetadataValue From(ulong value) => new(GgufValueType.UInt64, null, value);
    public static GgufMetadataValue From(long value) => new(GgufValueType.Int64, null, value);
    public static GgufMetadataValue From(double value) => new(GgufValueType.Float64, null, value);

    /// <exception cref="ArgumentException">The string is not valid UTF-16 (a lone surrogate has no UTF-8 form).</exception>
    public static GgufMetadataValue From(string value)
    {
        CheckEncodable(value, nameof(value));
        return new(GgufValueType.String, null, value);
    }

    // Arrays are copied so that the caller's later writes cannot change a value already handed over.
    public static GgufMetadataValue From(byte[] values) => FromArray(GgufValueType.UInt8, values);
    public static GgufMetadataValue From(sbyte[] values) => FromArray(GgufValueType.Int8, values);
    public static GgufMetadataValue From(ushort[] values) => FromArray(GgufValueType.UInt16, values);
    public static GgufMetadataValue From(short[] values) => FromArray(GgufValueType.Int16, values);
    public static GgufMetadataValue From(uint[] values) => FromArray(GgufValueType.UInt32, values);
    public static GgufMetadataValue From(int[] values) => FromArray(GgufValueType.Int32, values);
    public static GgufMetadataValue From(float[] values) => FromArray(GgufValueType.Float32, values);
    public static GgufMetadataValue From(bool[] values) => FromArray(GgufValueType.Bool, values);
    public static GgufMetadataValue From(ulong[] values) => FromArray(GgufValueType.UInt64, values);
    public static GgufMetadataValue From(long[] values) => FromArray(GgufValueType.Int64, values);
    public static GgufMetadataValue From(double[] values) => FromArray(GgufValueType.Float64, values);

    /// <exception cref="ArgumentException">An element is null or not valid UTF-16.</exception>
    public static GgufMetadataValue From(string[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is null) throw new ArgumentException($"Element {i} is null; GGUF strings cannot be null.", nameof(values));
            CheckEncodable(values[i], nameof(values));
        }
        return FromArray(GgufValueType.String, values);
    }

    /// <summary>For the reader: the value was just decoded, so it is neither copied nor checked again.</summary>
    internal static GgufMetadataValue FromDecoded(GgufValueType type, object value) => new(type, null, value);

    internal static GgufMetadataValue FromDecodedArray(GgufValueType elementType, Array values) => new(GgufValueType.Array, elementType, values);

    /// <summary>The value as a long if it is an integer scalar of any width that fits.</summary>
    public bool TryGetInt64(out long value)
    {
        (var ok, value) = Value switch
        {
            byte v => (true, v),
            sbyte v => (true, v),
            ushort v => (true, v),
            short v => (true, v),
            uint v => (true, v),
            int v => (true, v),
            long v => (true, v),
            ulong v when v <= long.MaxValue => (true, (long)v),
            _ => (false, 0L),
        };
        return ok;
    }

    /// <summary>The value as a ulong if it is a non-negative integer scalar of any width.</summary>
    public bool TryGetUInt64(out ulong value)
    {
        if (Value is ulong u)
        {
            value = u;
            return true;
        }
        var ok = TryGetInt64(out var signed) && signed >= 0;
        value = ok ? (ulong)signed : 0;
        return ok;
    }

    /// <summary>"uint32", "string", or for arrays "string[512]".</summary>
    public string TypeDescription => IsArray ? $"{TypeName(ElementType!.Value)}[{Count}]" : TypeName(Type);

    /// <summary>The GGUF spec's name of a value type ("uint8" … "float64").</summary>
    public static string TypeName(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => "uint8",
        GgufValueType.Int8 => "int8",
        GgufValueType.UInt16 => "uint16",
        GgufValueType.Int16 => "int16",
        GgufValueType.UInt32 => "uint32",
        GgufValueType.Int32 => "int32",
        GgufValueType.Float32 => "float32",
        GgufValueType.Bool => "bool",
        GgufValueType.String => "string",
        GgufValueType.Array => "array",
        GgufValueType.UInt64 => "uint64",
        GgufValueType.Int64 => "int64",
        GgufValueType.Float64 => "float64",
        _ => $"unknown({(uint)type})",
    };

    /// <summary>
    /// One line: strings quoted with control characters escaped, numbers in invariant culture, arrays as
    /// <c>string[512] ["&lt;unk&gt;", "&lt;s&gt;", ...]</c>.
    /// </summary>
    /// <param name="maxStringLength">Longer strings are cut here and followed by their length.</param>
    /// <param name="maxArrayItems">Items shown before "...".</param>
    public string Format(int maxStringLength = int.MaxValue, int maxArrayItems = DefaultArrayItems)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxStringLength);
        ArgumentOutOfRangeException.ThrowIfNegative(maxArrayItems);
        if (Value is not Array array) return FormatScalar(Value, maxStringLength);

        var text = new StringBuilder(TypeDescription).Append(" [");
        var shown = Math.Min(array.Length, maxArrayItems);
        for (var i = 0; i < shown; i++)
        {
            if (i > 0) text.Append(", ");
            text.Append(FormatScalar(array.GetValue(i)!, maxStringLength));
        }
        if (shown < array.Length) text.Append(shown > 0 ? ", ..." : "...");
        return text.Append(']').ToString();
    }

    /// <summary>The value with arrays summarised to their first <see cref="DefaultArrayItems"/> items; strings in full.</summary>
    public override string ToString() => Format();

    public bool Equals(GgufMetadataValue? other) =>
        other is not null && Type == other.Type && ElementType == other.ElementType &&
        (Value is Array ? StructuralComparisons.StructuralEqualityComparer.Equals(Value, other.Value) : Value.Equals(other.Value));

    public override bool Equals(object? obj) => Equals(obj as GgufMetadataValue);

    public override int GetHashCode() =>
        HashCode.Combine(Type, ElementType, Value is Array ? StructuralComparisons.StructuralEqualityComparer.GetHashCode(Value) : Value.GetHashCode());

    private static GgufMetadataValue FromArray<T>(GgufValueType elementType, T[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.LongLength > GgufFormat.MaxArrayElements)
            throw new ArgumentException($"{values.LongLength:N0} elements; llama.cpp reads at most {GgufFormat.MaxArrayElements:N0}.", nameof(values));
        return new(GgufValueType.Array, elementType, values.Clone());
    }

    private static void CheckEncodable(string value, string paramName)
    {
        ArgumentNullException.ThrowIfNull(value, paramName);
        try
        {
            if (GgufFormat.StrictUtf8.GetByteCount(value) > GgufFormat.MaxStringLength)
                throw new ArgumentException($"The string is longer than the {GgufFormat.MaxStringLength:N0} UTF-8 bytes llama.cpp reads.", paramName);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"The string is not valid UTF-16 (a lone surrogate at index {e.Index}) and has no UTF-8 form.", paramName, e);
        }
    }

    private static string FormatScalar(object value, int maxStringLength) => value switch
    {
        string s => Quote(s, maxStringLength),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Quote(string s, int maxLength)
    {
        var cut = s.Length > maxLength;
        var end = cut ? maxLength : s.Length;
        if (cut && end > 0 && char.IsHighSurrogate(s[end - 1])) end--;
        var text = new StringBuilder(end + 16).Append('"');
        foreach (var c in s.AsSpan(0, end))
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case < ' ' or '\u007f': text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"); break;
                default: text.Append(c); break;
            }
        }
        text.Append('"');
        if (cut) text.Append(CultureInfo.InvariantCulture, $"... ({s.Length:N0} chars)");
        return text.ToString();
    }
}
