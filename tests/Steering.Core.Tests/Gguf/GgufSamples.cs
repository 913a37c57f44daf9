using System.Buffers.Binary;
using System.Text;
using LlamaSteer.Gguf;

namespace LlamaSteer.Core.Tests.Gguf;

/// <summary>Small GGUF files built with <see cref="GgufWriter"/>, and tools to corrupt them at a named field.</summary>
internal static class GgufSamples
{
    public const string LongStringKey = "sample.long_text";
    public const string FirstTensor = "sample.tensor_one";
    public const string LastTensor = "sample.tensor_two";

    public static readonly float[] FirstTensorData = Enumerable.Range(0, 12).Select(i => i * 0.5f - 3f).ToArray();
    public static readonly Half[] LastTensorData = Enumerable.Range(0, 64).Select(i => (Half)(i / 8.0 - 4)).ToArray();

    /// <summary>One metadata entry of every value type and every array element type.</summary>
    public static GgufWriter EveryValueType() => new GgufWriter()
        .SetString("general.architecture", "llama")
        .SetUInt8("sample.u8", byte.MaxValue)
        .SetInt8("sample.i8", sbyte.MinValue)
        .SetUInt16("sample.u16", ushort.MaxValue)
        .SetInt16("sample.i16", short.MinValue)
        .SetUInt32("sample.u32", uint.MaxValue)
        .SetInt32("sample.i32", int.MinValue)
        .SetFloat32("sample.f32", MathF.PI)
        .SetBool("sample.bool_true", true)
        .SetBool("sample.bool_false", false)
        .SetString("sample.string", "héllo, 世界 \U0001F600")
        .SetString("sample.empty_string", "")
        .SetUInt64("sample.u64", ulong.MaxValue)
        .SetInt64("sample.i64", long.MinValue)
        .SetFloat64("sample.f64", Math.E)
        .SetFloat32("sample.nan", float.NaN)
        .SetString(LongStringKey, string.Concat(Enumerable.Repeat("{% for message in messages %}", 40)))
        .SetArray("sample.arr_u8", new byte[] { 0, 1, byte.MaxValue })
        .SetArray("sample.arr_i8", new sbyte[] { sbyte.MinValue, 0, sbyte.MaxValue })
        .SetArray("sample.arr_u16", new ushort[] { 0, ushort.MaxValue })
        .SetArray("sample.arr_i16", new short[] { short.MinValue, -1 })
        .SetArray("sample.arr_u32", new uint[] { 7, uint.MaxValue })
        .SetArray("sample.arr_i32", new[] { -5, 0, int.MaxValue })
        .SetArray("sample.arr_f32", new[] { 1.5f, float.NegativeInfinity, float.Epsilon })
        .SetArray("sample.arr_bool", new[] { true, false, true })
        .SetArray("sample.arr_string", new[] { "<unk>", "", "▁Lily", "日本" })
        .SetArray("sample.arr_u64", new ulong[] { ulong.MaxValue })
        .SetArray("sample.arr_i64", new[] { long.MinValue, long.MaxValue })
        .SetArray("sample.arr_f64", new[] { double.MaxValue, -0.0 })
        .SetArray("sample.arr_empty", Array.Empty<int>());

    /// <summary><see cref="EveryValueType"/> plus an F32 tensor [4, 3] and an F16 tensor [64], in that order.</summary>
    public static GgufWriter WithTensors()
    {
        var halfBytes = new byte[LastTensorData.Length * 2];
        for (var i = 0; i < LastTensorData.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(halfBytes.AsSpan(i * 2), LastTensorData[i]);
        return EveryValueType()
            .AddTensor(FirstTensor, FirstTensorData, 4, 3)
            .AddTensor(LastTensor, GgmlType.F16, [64], halfBytes);
    }

    public static string Write(GgufWriter writer, string folder, string name = "sample.gguf")
    {
        var path = Path.Combine(folder, name);
        writer.WriteTo(path);
        return path;
    }

    /// <summary>Where the bytes right after the only occurrence of <paramref name="text"/> (as UTF-8) start.</summary>
    public static int OffsetAfter(byte[] file, string text)
    {
        var pattern = Encoding.UTF8.GetBytes(text);
        var first = file.AsSpan().IndexOf(pattern);
        if (first < 0) throw new InvalidOperationException($"'{text}' is not in the file.");
        if (file.AsSpan(first + 1).IndexOf(pattern) >= 0) throw new InvalidOperationException($"'{text}' occurs more than once in the file.");
        return first + pattern.Length;
    }

    /// <summary>Where the tensor-info fields after a tensor's name start: n_dims, ne[], type, offset.</summary>
    public static (int DimensionCount, int FirstDimension, int Type, int Offset) TensorInfoFields(byte[] file, string tensorName, int dimensionCount)
    {
        var start = OffsetAfter(file, tensorName);
        return (start, start + 4, start + 4 + 8 * dimensionCount, start + 8 + 8 * dimensionCount);
    }

    public static void PatchUInt32(byte[] file, int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(offset), value);

    public static void PatchUInt64(byte[] file, int offset, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(offset), value);
}
