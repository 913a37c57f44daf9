using LlamaSteer.Gguf;
using LlamaSteer.Testing;
using NUnit.Framework;

namespace LlamaSteer.Core.Tests.Gguf;

public sealed class GgufWriterTests
{
    private string _folder = "";

    [SetUp]
    public void CreateFolder() => _folder = TestPaths.NewTempDirectory();

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private string[] FolderContents() => Directory.GetFileSystemEntries(_folder).Select(Path.GetFileName).ToArray()!;

    [Test]
    public void WritingIntoAMissingFolderFailsAndCreatesNothing()
    {
        var path = Path.Combine(_folder, "no-such-folder", "out.gguf");

        Assert.That(() => GgufSamples.WithTensors().WriteTo(path), Throws.TypeOf<DirectoryNotFoundException>().With.Message.Contains("no-such-folder"));
        Assert.That(FolderContents(), Is.Empty);
    }

    [Test]
    public void ATensorCallbackWritingTooFewBytesLeavesTheExistingFileUnchangedAndNoTemporaryFile()
    {
        var path = GgufSamples.Write(GgufSamples.WithTensors(), _folder, "model.gguf");
        var before = File.ReadAllBytes(path);
        var writer = new GgufWriter().SetString("general.name", "replacement")
            .AddTensor("short", GgmlType.F32, [16], data => data.Write(new byte[16 * sizeof(float) - 1]));

        Assert.That(() => writer.WriteTo(path), Throws.InvalidOperationException.With.Message.Contains("'short'"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
        Assert.That(FolderContents(), Is.EqualTo(new[] { "model.gguf" }));
    }

    [Test]
    public void ATensorCallbackWritingTooMuchOrThrowingFailsTheSameWay()
    {
        var path = GgufSamples.Write(GgufSamples.WithTensors(), _folder, "model.gguf");
        var before = File.ReadAllBytes(path);
        var tooMuch = new GgufWriter().AddTensor("long", GgmlType.F32, [2], data => data.Write(new byte[9]));
        var throwing = new GgufWriter().AddTensor("failing", GgmlType.F32, [2], _ => throw new IOException("source disk gone"));

        Assert.That(() => tooMuch.WriteTo(path), Throws.InvalidOperationException.With.Message.Contains("'long'"));
        Assert.That(() => throwing.WriteTo(path), Throws.TypeOf<IOException>().With.Message.EqualTo($"Cannot write {path}: source disk gone"), "the error names the target, not the hidden temporary file");
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
        Assert.That(FolderContents(), Is.EqualTo(new[] { "model.gguf" }));
    }

    [Test]
    public void ATensorCallbackWritingTheExactSizeProducesTheSameFileAsRawBytes()
    {
        var raw = Enumerable.Range(0, 24).Select(i => (byte)i).ToArray();
        var streamed = GgufSamples.Write(new GgufWriter().AddTensor("t", GgmlType.I8, [24], data => data.Write(raw)), _folder, "streamed.gguf");
        var buffered = GgufSamples.Write(new GgufWriter().AddTensor("t", GgmlType.I8, [24], raw), _folder, "buffered.gguf");

        Assert.That(File.ReadAllBytes(streamed), Is.EqualTo(File.ReadAllBytes(buffered)));
    }

    [Test]
    public void WritingOverAnExistingFileReplacesIt()
    {
        var path = GgufSamples.Write(GgufSamples.WithTensors(), _folder, "model.gguf");

        new GgufWriter().SetString("general.name", "second").WriteTo(path);

        Assert.That(GgufFile.Read(path).GetString("general.name"), Is.EqualTo("second"));
        Assert.That(FolderContents(), Is.EqualTo(new[] { "model.gguf" }));
    }

    [Test]
    public void WritingOntoAFolderFailsWithoutLeavingATemporaryFile()
    {
        var target = Directory.CreateDirectory(Path.Combine(_folder, "taken")).FullName;

        Assert.That(() => new GgufWriter().WriteTo(target), Throws.TypeOf<IOException>());
        Assert.That(FolderContents(), Is.EqualTo(new[] { "taken" }));
    }

    [Test]
    public void ARawTensorWhoseByteCountDoesNotMatchItsShapeIsRefusedWhenAdded()
    {
        var writer = new GgufWriter();
        var q4Bytes = GgmlTypeInfo.ByteSize(GgmlType.Q4_0, [64]);

        Assert.Multiple(() =>
        {
            Assert.That(() => writer.AddTensor("q", GgmlType.Q4_0, [64], new byte[q4Bytes + 1]), Throws.ArgumentException.With.Message.Contains($"takes {q4Bytes} bytes"));
            Assert.That(() => writer.AddTensor("f", new float[5], 2, 3), Throws.ArgumentException.With.Message.Contains("6 elements"));
            Assert.That(() => writer.AddTensor("q", GgmlType.Q4_0, [48], new byte[100]), Throws.ArgumentException.With.Message.Contains("block size"));
            Assert.That(() => writer.AddTensor("u", (GgmlType)44, [4], new byte[4]), Throws.ArgumentException.With.Message.Contains("unknown ggml type 44"));
        });
        Assert.That(writer.TensorNames, Is.Empty);
    }

    [Test]
    public void NamesAndKeysAreCheckedWhenAdded()
    {
        var writer = new GgufWriter().AddTensor("taken", new float[1], 1);

        Assert.Multiple(() =>
        {
            Assert.That(() => writer.AddTensor("taken", new float[1], 1), Throws.ArgumentException.With.Message.Contains("already"));
            Assert.That(() => writer.AddTensor(new string('x', 64), new float[1], 1), Throws.ArgumentException.With.Message.Contains("64 UTF-8 bytes"));
            Assert.That(() => writer.AddTensor("", new float[1], 1), Throws.ArgumentException);
            Assert.That(() => writer.SetInt32("", 1), Throws.ArgumentException);
            Assert.That(() => writer.SetString("bad", "lone \uD800 surrogate"), Throws.ArgumentException.With.Message.Contains("surrogate"));
            Assert.That(() => writer.SetArray("bad", new[] { "ok", null! }), Throws.ArgumentException.With.Message.Contains("null"));
            Assert.That(() => writer.SetUInt32("general.alignment", 48), Throws.ArgumentException.With.Message.Contains("power of two"));
            Assert.That(() => writer.SetInt32("general.alignment", 64), Throws.ArgumentException.With.Message.Contains("uint32"));
        });
        Assert.That(writer.Metadata, Is.Empty);
    }

    [Test]
    public void ATensorNameOf63BytesIsTheLongestLlamaCppAccepts()
    {
        var path = GgufSamples.Write(new GgufWriter().AddTensor(new string('n', 63), new float[1], 1), _folder);

        Assert.That(LlamaCppGguf.Read(path)!.Tensors.Single().Name, Has.Length.EqualTo(63));
    }

    [Test]
    public void ArraysGivenToTheWriterAreCopied()
    {
        var values = new[] { 1, 2, 3 };
        var data = new[] { 1f, 2f };
        var writer = new GgufWriter().SetArray("a", values).AddTensor("t", data, 2);
        values[0] = 99;
        data[0] = 99;

        var file = GgufFile.Read(GgufSamples.Write(writer, _folder));

        Assert.That(file.Metadata["a"].Value, Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(file.ReadTensorF32(file.Tensors[0]), Is.EqualTo(new[] { 1f, 2f }));
    }

    [Test]
    public void AFileFromTheWriterReadsTheSameInLlamaCpp()
    {
        var writer = GgufSamples.WithTensors().SetUInt32("general.alignment", 64);
        var path = GgufSamples.Write(writer, _folder);
        var ours = GgufFile.Read(path);

        var theirs = LlamaCppGguf.Read(path);

        Assert.That(theirs, Is.Not.Null, "llama.cpp refused the file");
        GgufCrossCheck.AssertSameAsLlamaCpp(ours, theirs!);
    }
}
