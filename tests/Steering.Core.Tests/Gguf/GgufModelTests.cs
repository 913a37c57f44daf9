using LlamaSteer.Gguf;
using LlamaSteer.Testing;
using NUnit.Framework;

namespace LlamaSteer.Core.Tests.Gguf;

/// <summary>The shipped models/stories260K.gguf, read by the managed reader and checked against its README and llama.cpp's reader.</summary>
public sealed class GgufModelTests
{
    private static readonly Lazy<GgufFile> Model = new(() => GgufFile.Read(TestPaths.Model));

    [Test]
    public void MetadataMatchesTheModelREADME()
    {
        var file = Model.Value;

        // models/README.md: a llama with n_embd 64, 5 layers, 8 heads / 4 KV heads, vocab 512, context_length 2048.
        Assert.Multiple(() =>
        {
            Assert.That(file.Architecture, Is.EqualTo("llama"));
            Assert.That(file.GetInt64("llama.embedding_length"), Is.EqualTo(64));
            Assert.That(file.GetInt64("llama.block_count"), Is.EqualTo(5));
            Assert.That(file.GetInt64("llama.attention.head_count"), Is.EqualTo(8));
            Assert.That(file.GetInt64("llama.attention.head_count_kv"), Is.EqualTo(4));
            Assert.That(file.GetInt64("llama.context_length"), Is.EqualTo(2048));
            Assert.That(file.GetStringArray("tokenizer.ggml.tokens"), Has.Length.EqualTo(512));
            Assert.That(file.FileLength, Is.EqualTo(new FileInfo(TestPaths.Model).Length));
        });
    }

    [Test]
    public void TheShippedDefaultModelIsTheRecordedFile()
    {
        // Recorded in models/README.md: the tinyllamas stories260K conversion, 1,185,376 bytes.
        var path = Path.Combine(TestPaths.RepoRoot, "models", "stories260K.gguf");
        using var stream = File.OpenRead(path);
        var sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));

        Assert.Multiple(() =>
        {
            Assert.That(stream.Length, Is.EqualTo(1_185_376));
            Assert.That(sha256, Is.EqualTo("270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d"));
            Assert.That(File.Exists(Path.Combine(TestPaths.RepoRoot, "models", "LICENSE-stories260K")), "its licence ships beside it");
        });
    }

    [Test]
    public void TheTokenEmbeddingIs64By512()
    {
        var embedding = Model.Value.FindTensor("token_embd.weight");

        Assert.That(embedding, Is.Not.Null);
        Assert.That(embedding!.Dimensions, Is.EqualTo(new long[] { 64, 512 }));
        Assert.That(embedding.ElementCount, Is.EqualTo(64 * 512));
    }

    [Test]
    public void EveryTensorLiesInsideTheFileAfterTheDataOffset()
    {
        var file = Model.Value;

        Assert.That(file.Tensors, Is.Not.Empty);
        foreach (var tensor in file.Tensors)
        {
            Assert.That(tensor.FileOffset, Is.GreaterThanOrEqualTo(file.DataOffset), tensor.Name);
            Assert.That(tensor.FileOffset + tensor.ByteSize, Is.LessThanOrEqualTo(file.FileLength), tensor.Name);
        }
        Assert.That(file.DataOffset + file.Tensors.Sum(t => t.ByteSize), Is.LessThanOrEqualTo(file.FileLength));
    }

    [Test]
    public void HeaderMetadataAndTensorTableMatchLlamaCppOwnReader()
    {
        var theirs = LlamaCppGguf.Read(TestPaths.Model);

        Assert.That(theirs, Is.Not.Null);
        GgufCrossCheck.AssertSameAsLlamaCpp(Model.Value, theirs!);
        Assert.That(theirs!.DataOffset + theirs.Tensors.Sum(t => t.Size), Is.LessThanOrEqualTo(Model.Value.FileLength));
    }

    [Test]
    public void FloatTensorsReadAsFiniteFloats()
    {
        var file = Model.Value;
        var norm = file.Tensors.First(t => t.Type is GgmlType.F32 or GgmlType.F16 && t.Name.Contains("norm"));

        var values = file.ReadTensorF32(norm);

        Assert.That(values, Has.Length.EqualTo(norm.ElementCount));
        Assert.That(values, Has.All.Matches<float>(float.IsFinite));
        Assert.That(values, Has.Some.Not.Zero);
    }

    [Test]
    public void RewritingTheMetadataWithFromGivesAFileLlamaCppReadsIdentically()
    {
        var folder = TestPaths.NewTempDirectory();
        try
        {
            var path = Path.Combine(folder, "metadata-only.gguf");
            GgufWriter.From(Model.Value).WriteTo(path);

            var copy = LlamaCppGguf.Read(path);

            Assert.That(copy, Is.Not.Null);
            Assert.That(copy!.Metadata.Select(m => m.Key), Is.EqualTo(Model.Value.Metadata.Keys));
            foreach (var (key, value) in copy.Metadata) Assert.That(value, Is.EqualTo(Model.Value.Metadata[key]), key);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
