using LlamaSteer.Gguf;
using NUnit.Framework;
using LlamaSteer.Testing;
using static LlamaSteer.Core.Tests.Gguf.GgufSamples;

namespace LlamaSteer.Core.Tests.Gguf;

/// <summary>
/// Malformed files are made by writing a valid sample and then patching or cutting it at a named field, so
/// each case breaks exactly one thing. Every one must fail with a <see cref="GgufFormatException"/> that
/// names the file and the problem.
/// </summary>
public sealed class GgufValidationTests
{
    /// <param name="Name">What is broken.</param>
    /// <param name="Apply">Breaks the valid sample's bytes (given with the sample read back).</param>
    /// <param name="MessageParts">What the error message must say, given the valid sample.</param>
    /// <param name="SameCheckInLlamaCpp">gguf_init_from_file has the same check (ggml/src/gguf.cpp), so it must refuse the file too.</param>
    public sealed record Corruption(string Name, Func<byte[], GgufFile, byte[]> Apply, Func<GgufFile, string[]> MessageParts, bool SameCheckInLlamaCpp = true)
    {
        public override string ToString() => Name;
    }

    private static Corruption Patch(string name, Action<byte[], GgufFile> patch, Func<GgufFile, string[]> message, bool sameCheckInLlamaCpp = true) =>
        new(name, (bytes, file) => { patch(bytes, file); return bytes; }, message, sameCheckInLlamaCpp);

    private static Corruption Cut(string name, Func<byte[], GgufFile, int> length, Func<GgufFile, string[]> message, bool sameCheckInLlamaCpp = true) =>
        new(name, (bytes, file) => bytes[..length(bytes, file)], message, sameCheckInLlamaCpp);

    public static IEnumerable<Corruption> Corruptions()
    {
        yield return Patch("bad magic", (b, _) => "PK\u0003\u0004"u8.CopyTo(b), _ => ["not a GGUF file", "starts with 'PK..'"]);
        yield return Patch("version 4", (b, _) => PatchUInt32(b, 4, 4), _ => ["unsupported GGUF version 4"]);
        yield return Patch("version 1", (b, _) => PatchUInt32(b, 4, 1), _ => ["GGUF version 1 is no longer supported"]);
        yield return Patch("big-endian version", (b, _) => PatchUInt32(b, 4, 0x03000000), _ => ["byte-swapped"]);
        yield return Cut("empty file", (_, _) => 0, _ => ["not a GGUF file", "empty"]);
        yield return Cut("truncated magic", (_, _) => 3, _ => ["not a GGUF file", "only 3 bytes"]);
        yield return Cut("truncated header", (_, _) => 10, _ => ["truncated", "header needs 24 bytes"]);
        yield return Patch("tensor count that cannot fit", (b, _) => PatchUInt64(b, 8, 1UL << 50), _ => ["truncated or corrupt header", $"{1UL << 50:N0} tensors"]);
        yield return Cut("truncated inside a metadata string", (b, _) => OffsetAfter(b, LongStringKey) + 4 + 8 + 100,
            _ => ["truncated", $"'{LongStringKey}'"]);
        yield return Cut("truncated inside a metadata array", (b, _) => OffsetAfter(b, "sample.arr_f64") + 4 + 4 + 8 + 5,
            _ => ["truncated", "'sample.arr_f64'"]);
        yield return Cut("truncated inside the tensor table", (b, _) => TensorInfoFields(b, LastTensor, 1).Offset + 3,
            _ => ["truncated", $"tensor '{LastTensor}' data offset"]);
        yield return Cut("tensor data past the end of the file", (_, f) => (int)(f.Tensors[^1].FileOffset + f.Tensors[^1].ByteSize - 1),
            f => [$"truncated: tensor '{LastTensor}' needs bytes up to {f.Tensors[^1].FileOffset + f.Tensors[^1].ByteSize:N0} but the file has {f.Tensors[^1].FileOffset + f.Tensors[^1].ByteSize - 1:N0}"],
            sameCheckInLlamaCpp: false); // gguf.cpp reads no data with no_alloc; llama.cpp's model loader checks the range
        yield return Patch("unknown value type", (b, _) => PatchUInt32(b, OffsetAfter(b, "sample.u16"), 13), _ => ["'sample.u16'", "unknown value type 13"]);
        yield return Patch("unknown array element type", (b, _) => PatchUInt32(b, OffsetAfter(b, "sample.arr_u32") + 4, 13), _ => ["'sample.arr_u32'", "unknown value type 13"]);
        yield return Patch("array of arrays", (b, _) => PatchUInt32(b, OffsetAfter(b, "sample.arr_u32") + 4, (uint)GgufValueType.Array), _ => ["'sample.arr_u32'", "array of arrays"]);
        yield return Patch("huge string length", (b, _) => PatchUInt64(b, OffsetAfter(b, "sample.string") + 4, 1UL << 60),
            _ => ["'sample.string'", $"string of {1UL << 60:N0} bytes"]);
        yield return Patch("huge array length", (b, _) => PatchUInt64(b, OffsetAfter(b, "sample.arr_i64") + 4 + 4, 1UL << 40),
            _ => ["'sample.arr_i64'", $"array of {1UL << 40:N0} int64"]);
        yield return Patch("invalid UTF-8", (b, _) => b[OffsetAfter(b, "sample.string") + 4 + 8] = 0xFF, _ => ["'sample.string'", "not valid UTF-8"],
            sameCheckInLlamaCpp: false); // gguf.cpp copies string bytes unchecked
        yield return Patch("duplicate key", (b, _) => b[OffsetAfter(b, "sample.i16") - 3] = (byte)'u', _ => ["duplicate metadata key 'sample.u16'"]);
        yield return Patch("alignment not a power of two", (b, _) => PatchUInt32(b, OffsetAfter(b, "general.alignment") + 4, 48), _ => ["'general.alignment' is 48", "power of two"]);
        yield return Patch("alignment of the wrong type", (b, _) => PatchUInt32(b, OffsetAfter(b, "general.alignment"), (uint)GgufValueType.Int32), _ => ["'general.alignment' must be a uint32"]);
        yield return Patch("duplicate tensor name", (b, _) => "one"u8.CopyTo(b.AsSpan(OffsetAfter(b, LastTensor) - 3)), _ => [$"duplicate tensor name '{FirstTensor}'"]);
        yield return Patch("n_dims 0", (b, _) => PatchUInt32(b, TensorInfoFields(b, FirstTensor, 2).DimensionCount, 0), _ => [$"'{FirstTensor}' has 0 dimensions"],
            sameCheckInLlamaCpp: false); // gguf.cpp accepts 0 (every ne is then 1); GGUF writers never produce it
        yield return Patch("n_dims 5", (b, _) => PatchUInt32(b, TensorInfoFields(b, FirstTensor, 2).DimensionCount, 5), _ => [$"'{FirstTensor}' has 5 dimensions"]);
        yield return Patch("zero dimension", (b, _) => PatchUInt64(b, TensorInfoFields(b, FirstTensor, 2).FirstDimension, 0), _ => [$"'{FirstTensor}'", "dimension 0 is 0"],
            sameCheckInLlamaCpp: false); // gguf.cpp accepts empty tensors
        yield return Patch("unknown ggml type", (b, _) => PatchUInt32(b, TensorInfoFields(b, FirstTensor, 2).Type, 44), _ => [$"'{FirstTensor}'", "unknown ggml type 44"]);
        yield return Patch("removed ggml type", (b, _) => PatchUInt32(b, TensorInfoFields(b, FirstTensor, 2).Type, 4), _ => ["unknown ggml type 4"]);
        yield return Patch("row not a multiple of the block size", (b, _) => PatchUInt32(b, TensorInfoFields(b, FirstTensor, 2).Type, (uint)GgmlType.Q4_0),
            _ => [$"'{FirstTensor}'", $"multiple of its block size {GgmlTypeInfo.BlockSize(GgmlType.Q4_0)}"]);
        yield return Patch("misaligned tensor offset", (b, f) => PatchUInt64(b, TensorInfoFields(b, LastTensor, 1).Offset, (ulong)f.Tensors[^1].Offset + 1),
            f => [$"'{LastTensor}'", $"not a multiple of the alignment {f.Alignment}"]);
        yield return Patch("gap between tensors", (b, f) => PatchUInt64(b, TensorInfoFields(b, LastTensor, 1).Offset, (ulong)(f.Tensors[^1].Offset + f.Alignment)),
            f => [$"'{LastTensor}'", $"llama.cpp expects {f.Tensors[^1].Offset:N0}"]);
    }

    private string _folder = "";
    private string _validPath = "";

    [SetUp]
    public void WriteValidSample()
    {
        _folder = TestPaths.NewTempDirectory();
        _validPath = Write(WithTensors().SetUInt32("general.alignment", 64), _folder, "valid.gguf");
    }

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private string Corrupt(Corruption corruption)
    {
        var valid = GgufFile.Read(_validPath);
        var path = Path.Combine(_folder, "corrupt.gguf");
        File.WriteAllBytes(path, corruption.Apply(File.ReadAllBytes(_validPath), valid));
        return path;
    }

    [TestCaseSource(nameof(Corruptions))]
    public void ACorruptFileFailsWithAMessageNamingTheFileAndTheProblem(Corruption corruption)
    {
        var path = Corrupt(corruption);
        var expected = corruption.MessageParts(GgufFile.Read(_validPath));

        var error = Assert.Throws<GgufFormatException>(() => GgufFile.Read(path))!;

        Assert.That(error.FilePath, Is.EqualTo(path));
        Assert.That(error.Message, Does.StartWith(path + ": "));
        foreach (var part in expected) Assert.That(error.Problem, Does.Contain(part));
    }

    public static IEnumerable<Corruption> CorruptionsLlamaCppChecks() => Corruptions().Where(c => c.SameCheckInLlamaCpp);

    [TestCaseSource(nameof(CorruptionsLlamaCppChecks))]
    public void LlamaCppRefusesWhatItChecksToo(Corruption corruption)
    {
        Assert.That(LlamaCppGguf.Read(Corrupt(corruption)), Is.Null);
    }

    [Test]
    public void TheUncorruptedSampleIsAcceptedByBothReaders()
    {
        Assert.That(() => GgufFile.Read(_validPath), Throws.Nothing);
        Assert.That(LlamaCppGguf.Read(_validPath), Is.Not.Null);
    }

    [Test]
    public void AMissingFileIsFileNotFoundExceptionWithThePath()
    {
        var path = Path.Combine(_folder, "missing.gguf");

        Assert.That(() => GgufFile.Read(path), Throws.TypeOf<FileNotFoundException>()
            .With.Property(nameof(FileNotFoundException.FileName)).EqualTo(path).And.Message.Contains(path));
        Assert.That(() => GgufFile.Read(_folder), Throws.TypeOf<FileNotFoundException>().With.Message.Contains("folder"));
    }

    [Test]
    public void ReadingTensorDataOfAFileShortenedAfterItWasReadFailsClearly()
    {
        var file = GgufFile.Read(_validPath);
        var last = file.Tensors[^1];
        File.WriteAllBytes(_validPath, File.ReadAllBytes(_validPath)[..(int)last.FileOffset]);

        Assert.That(() => file.ReadTensorBytes(last), Throws.TypeOf<GgufFormatException>().With.Message.Contains("truncated since it was read"));
    }

    [Test]
    public void ATensorOfAnotherFileIsRefused()
    {
        var file = GgufFile.Read(_validPath);
        var otherPath = Write(new GgufWriter().AddTensor(FirstTensor, new float[3], 3), _folder, "other.gguf");
        var foreign = GgufFile.Read(otherPath).Tensors[0];

        Assert.That(() => file.ReadTensorBytes(foreign), Throws.ArgumentException);
    }
}
