using System.Buffers.Binary;
using LlamaSteer.Gguf;
using NUnit.Framework;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Gguf;

public sealed class GgufRoundTripTests
{
    private string _folder = "";

    [SetUp]
    public void CreateFolder() => _folder = TestPaths.NewTempDirectory();

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [Test]
    public void EveryValueTypeAndArrayTypeReadsBackEqualInOrder()
    {
        var writer = GgufSamples.EveryValueType();
        var file = GgufFile.Read(GgufSamples.Write(writer, _folder));

        Assert.That(file.Version, Is.EqualTo(3u));
        Assert.That(file.Metadata.Keys, Is.EqualTo(writer.Metadata.Keys));
        foreach (var (key, written) in writer.Metadata)
            Assert.That(file.Metadata[key], Is.EqualTo(written), key);
        // Equality must see through boxing and arrays, or the loop above proves nothing.
        Assert.That(file.Metadata["sample.arr_string"], Is.Not.EqualTo(GgufMetadataValue.From(new[] { "<unk>" })));
        Assert.That(file.Metadata["sample.u32"], Is.Not.EqualTo(GgufMetadataValue.From((ulong)uint.MaxValue)));
    }

    [Test]
    public void ValuesKeepTheirExactDotnetTypes()
    {
        var file = GgufFile.Read(GgufSamples.Write(GgufSamples.EveryValueType(), _folder));

        Assert.Multiple(() =>
        {
            Assert.That(file.Metadata["sample.u8"].Value, Is.TypeOf<byte>().And.EqualTo(byte.MaxValue));
            Assert.That(file.Metadata["sample.i16"].Value, Is.TypeOf<short>().And.EqualTo(short.MinValue));
            Assert.That(file.Metadata["sample.u64"].Value, Is.TypeOf<ulong>().And.EqualTo(ulong.MaxValue));
            Assert.That(file.Metadata["sample.f64"].Value, Is.TypeOf<double>().And.EqualTo(Math.E));
            Assert.That(file.Metadata["sample.nan"].Value, Is.TypeOf<float>().And.NaN);
            Assert.That(file.Metadata["sample.arr_bool"].Value, Is.TypeOf<bool[]>().And.EqualTo(new[] { true, false, true }));
            Assert.That(file.Metadata["sample.arr_string"].ElementType, Is.EqualTo(GgufValueType.String));
            Assert.That(file.Metadata["sample.arr_empty"].Value, Is.TypeOf<int[]>().And.Empty);
            Assert.That(file.Metadata["sample.arr_f64"].Value, Is.TypeOf<double[]>());
            Assert.That(double.IsNegative(((double[])file.Metadata["sample.arr_f64"].Value)[1]), Is.True, "-0.0 keeps its sign");
        });
    }

    [Test]
    public void TypedGettersConvertIntegersAndReturnNullForAbsentKeys()
    {
        var file = GgufFile.Read(GgufSamples.Write(GgufSamples.EveryValueType(), _folder));

        Assert.Multiple(() =>
        {
            Assert.That(file.Architecture, Is.EqualTo("llama"));
            Assert.That(file.GetString("sample.string"), Is.EqualTo("héllo, 世界 \U0001F600"));
            Assert.That(file.GetInt64("sample.u8"), Is.EqualTo(255));
            Assert.That(file.GetInt64("sample.i8"), Is.EqualTo(-128));
            Assert.That(file.GetInt64("sample.u32"), Is.EqualTo(uint.MaxValue));
            Assert.That(file.GetInt64("sample.i64"), Is.EqualTo(long.MinValue));
            Assert.That(file.GetUInt32("sample.u16"), Is.EqualTo(ushort.MaxValue));
            Assert.That(file.GetFloat("sample.f32"), Is.EqualTo(MathF.PI));
            Assert.That(file.GetFloat("sample.f64"), Is.EqualTo((float)Math.E));
            Assert.That(file.GetBool("sample.bool_true"), Is.True);
            Assert.That(file.GetStringArray("sample.arr_string"), Is.EqualTo(new[] { "<unk>", "", "▁Lily", "日本" }));
            Assert.That(file.GetString("no.such.key"), Is.Null);
            Assert.That(file.GetInt64("no.such.key"), Is.Null);
            Assert.That(file.GetStringArray("no.such.key"), Is.Null);
        });
    }

    [Test]
    public void TypedGettersRefuseAValueOfTheWrongTypeNamingFileAndKey()
    {
        var path = GgufSamples.Write(GgufSamples.EveryValueType(), _folder);
        var file = GgufFile.Read(path);

        Assert.Multiple(() =>
        {
            Assert.That(() => file.GetString("sample.u32"), Throws.TypeOf<GgufFormatException>()
                .With.Message.Contains(path).And.Message.Contains("'sample.u32'").And.Message.Contains("uint32"));
            Assert.That(() => file.GetInt64("sample.f32"), Throws.TypeOf<GgufFormatException>().With.Message.Contains("float32"));
            Assert.That(() => file.GetInt64("sample.u64"), Throws.TypeOf<GgufFormatException>(), "ulong.MaxValue does not fit a long");
            Assert.That(() => file.GetUInt32("sample.i8"), Throws.TypeOf<GgufFormatException>(), "negative");
            Assert.That(() => file.GetUInt32("sample.u64"), Throws.TypeOf<GgufFormatException>(), "too large");
            Assert.That(() => file.GetFloat("sample.string"), Throws.TypeOf<GgufFormatException>());
            Assert.That(() => file.GetStringArray("sample.arr_i32"), Throws.TypeOf<GgufFormatException>().With.Message.Contains("int32[3]"));
        });
    }

    [Test]
    public void F32AndF16TensorsReadBackWithTheirShapesAndValues()
    {
        var file = GgufFile.Read(GgufSamples.Write(GgufSamples.WithTensors(), _folder));

        Assert.That(file.Tensors.Select(t => t.Name), Is.EqualTo(new[] { GgufSamples.FirstTensor, GgufSamples.LastTensor }));
        var first = file.FindTensor(GgufSamples.FirstTensor)!;
        var last = file.FindTensor(GgufSamples.LastTensor)!;
        Assert.Multiple(() =>
        {
            Assert.That(first.Type, Is.EqualTo(GgmlType.F32));
            Assert.That(first.Dimensions, Is.EqualTo(new long[] { 4, 3 }));
            Assert.That(first.ElementCount, Is.EqualTo(GgufSamples.FirstTensorData.Length));
            Assert.That(first.ByteSize, Is.EqualTo(GgufSamples.FirstTensorData.Length * sizeof(float)));
            Assert.That(file.ReadTensorF32(first), Is.EqualTo(GgufSamples.FirstTensorData));
            Assert.That(last.Type, Is.EqualTo(GgmlType.F16));
            Assert.That(last.Dimensions, Is.EqualTo(new long[] { 64 }));
            Assert.That(file.ReadTensorF32(last), Is.EqualTo(GgufSamples.LastTensorData.Select(h => (float)h)));
            Assert.That(file.FindTensor("missing"), Is.Null);
        });
    }

    [Test]
    public void RawBytesRoundTripForAQuantizedTensorAndBf16WidensExactly()
    {
        var q8 = new byte[GgmlTypeInfo.ByteSize(GgmlType.Q8_0, [64, 2])];
        Random.Shared.NextBytes(q8);
        float[] bf16Values = [1f, -2.5f, 3.1415926f, 1e-20f];
        var bf16 = new byte[bf16Values.Length * 2];
        for (var i = 0; i < bf16Values.Length; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(bf16.AsSpan(i * 2), (ushort)(BitConverter.SingleToInt32Bits(bf16Values[i]) >> 16));
        var writer = new GgufWriter().AddTensor("q8", GgmlType.Q8_0, [64, 2], q8).AddTensor("bf16", GgmlType.BF16, [4], bf16);

        var file = GgufFile.Read(GgufSamples.Write(writer, _folder));

        Assert.That(file.ReadTensorBytes(file.FindTensor("q8")!), Is.EqualTo(q8));
        Assert.That(() => file.ReadTensorF32(file.FindTensor("q8")!), Throws.TypeOf<NotSupportedException>().With.Message.Contains("q8_0"));
        var truncatedToBf16 = bf16Values.Select(v => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(v) & unchecked((int)0xFFFF0000)));
        Assert.That(file.ReadTensorF32(file.FindTensor("bf16")!), Is.EqualTo(truncatedToBf16));
    }

    [TestCase(32u)]
    [TestCase(64u)]
    [TestCase(1u)]
    [TestCase(4096u)]
    public void DataSectionAndEveryTensorOffsetRespectTheAlignment(uint alignment)
    {
        var writer = GgufSamples.WithTensors().SetUInt32("general.alignment", alignment)
            .AddTensor("odd_sized", new float[7], 7);
        var file = GgufFile.Read(GgufSamples.Write(writer, _folder));

        Assert.That(file.Alignment, Is.EqualTo(alignment));
        Assert.That(file.DataOffset % alignment, Is.Zero);
        foreach (var tensor in file.Tensors)
        {
            Assert.That(tensor.Offset % alignment, Is.Zero, tensor.Name);
            Assert.That(tensor.FileOffset, Is.EqualTo(file.DataOffset + tensor.Offset), tensor.Name);
        }
        // Tensors are packed back to back, each padded to the alignment, as llama.cpp requires.
        for (var i = 1; i < file.Tensors.Count; i++)
        {
            var previous = file.Tensors[i - 1];
            var paddedEnd = (previous.Offset + previous.ByteSize + alignment - 1) / alignment * alignment;
            Assert.That(file.Tensors[i].Offset, Is.EqualTo(paddedEnd));
        }
    }

    [Test]
    public void Version2FilesShareTheLayoutAndAreRead()
    {
        var path = GgufSamples.Write(GgufSamples.WithTensors(), _folder);
        var bytes = File.ReadAllBytes(path);
        GgufSamples.PatchUInt32(bytes, 4, 2);
        File.WriteAllBytes(path, bytes);

        var file = GgufFile.Read(path);

        Assert.That(file.Version, Is.EqualTo(2u));
        Assert.That(file.ReadTensorF32(file.Tensors[0]), Is.EqualTo(GgufSamples.FirstTensorData));
        Assert.That(LlamaCppGguf.Read(path)?.Version, Is.EqualTo(2u));
    }

    [Test]
    public void DefaultAlignmentIs32WithoutGeneralAlignment()
    {
        var file = GgufFile.Read(GgufSamples.Write(GgufSamples.WithTensors(), _folder));

        Assert.That(file.Metadata.ContainsKey("general.alignment"), Is.False);
        Assert.That(file.Alignment, Is.EqualTo(32u));
        Assert.That(file.DataOffset % 32, Is.Zero);
    }

    [Test]
    public void SettingAKeyTwiceKeepsItsPositionAndTakesTheNewValue()
    {
        var writer = new GgufWriter().SetString("a", "first").SetInt32("b", 1).SetString("a", "second").SetFloat32("c", 2f);
        var file = GgufFile.Read(GgufSamples.Write(writer, _folder));

        Assert.That(file.Metadata.Keys, Is.EqualTo(new[] { "a", "b", "c" }));
        Assert.That(file.GetString("a"), Is.EqualTo("second"));
    }

    [Test]
    public void StreamAndFileOutputAreIdentical()
    {
        var writer = GgufSamples.WithTensors();
        var path = GgufSamples.Write(writer, _folder);
        using var memory = new MemoryStream();

        writer.WriteTo(memory);

        Assert.That(memory.ToArray(), Is.EqualTo(File.ReadAllBytes(path)));
    }

    [Test]
    public void FromCopiesMetadataInOrderButNoTensors()
    {
        var original = GgufFile.Read(GgufSamples.Write(GgufSamples.WithTensors(), _folder, "original.gguf"));

        var copy = GgufFile.Read(GgufSamples.Write(GgufWriter.From(original), _folder, "copy.gguf"));

        Assert.That(copy.Metadata, Is.EqualTo(original.Metadata));
        Assert.That(copy.Tensors, Is.Empty);
    }

    [Test]
    public void ToStringSummarisesArraysAndEscapesStrings()
    {
        var tokens = GgufMetadataValue.From(Enumerable.Range(0, 100).Select(i => $"t{i}").ToArray());
        const string text = "{% if x %}\n\"hi\"\n{% endif %}";
        var template = GgufMetadataValue.From(text);

        Assert.Multiple(() =>
        {
            Assert.That(tokens.ToString(), Does.StartWith("string[100] [\"t0\", \"t1\"").And.EndWith("\"t7\", ...]"));
            Assert.That(tokens.Format(maxArrayItems: 100), Does.EndWith("\"t99\"]"));
            Assert.That(template.ToString(), Is.EqualTo("\"{% if x %}\\n\\\"hi\\\"\\n{% endif %}\""));
            Assert.That(template.Format(maxStringLength: 5), Is.EqualTo($"\"{{% if\"... ({text.Length} chars)"));
            Assert.That(GgufMetadataValue.From(0.1f).ToString(), Is.EqualTo("0.1"));
            Assert.That(GgufMetadataValue.From(true).ToString(), Is.EqualTo("true"));
        });
    }
}
