using LlamaSteer.Gguf;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Vectors;

[TestFixture]
public class ControlVectorFileTests
{
    private string _dir = null!;

    [SetUp] public void MakeDir() => _dir = TestPaths.NewTempDirectory();
    [TearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    private static SteeringVector Sample(int embd = 64, params int[] layers)
    {
        var rng = new Random(7);
        var dirs = (layers.Length == 0 ? [1, 2, 3, 4] : layers).ToDictionary(l => l, _ => Enumerable.Range(0, embd).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray());
        return new SteeringVector(embd, dirs, "llama", new VectorProvenance
        {
            Method = "mean", DatasetName = "tinystories-happy-sad", DatasetSha256 = "ab12", ModelFile = "stories260K.gguf", ModelEmbeddingSize = embd,
            Options = "--layers 1-4", CreatedUtc = "2026-11-22T00:00:00Z",
            Calibration = new Dictionary<int, LayerCalibration> { [2] = new(1.5f, -0.5f, 0.25f) },
        });
    }

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Test]
    public void RoundTripKeepsDirectionsAndMetadata()
    {
        var v = Sample();
        ControlVectorFile.Write(v, PathOf("v.gguf"));
        var back = ControlVectorFile.Read(PathOf("v.gguf"), 64);
        Assert.That(back.Layers, Is.EqualTo(v.Layers));
        foreach (var l in v.Layers) Assert.That(back.Direction(l).ToArray(), Is.EqualTo(v.Direction(l).ToArray()));
        Assert.That(back.ModelHint, Is.EqualTo("llama"));
        Assert.That(back.Provenance with { Calibration = v.Provenance.Calibration }, Is.EqualTo(v.Provenance));
        Assert.That(back.Provenance.Calibration[2], Is.EqualTo(v.Provenance.Calibration[2]));
    }

    [Test]
    public void FileFollowsTheLlamaCppLayout()
    {
        ControlVectorFile.Write(Sample(64, 2, 5), PathOf("v.gguf"));
        var f = GgufFile.Read(PathOf("v.gguf"));
        Assert.That(f.Architecture, Is.EqualTo("controlvector"));
        Assert.That(f.GetString("controlvector.model_hint"), Is.EqualTo("llama"));
        Assert.That(f.GetInt64("controlvector.layer_count"), Is.EqualTo(2));
        Assert.That(f.Tensors.Select(t => t.Name), Is.EqualTo(new[] { "direction.2", "direction.5" }));
        Assert.That(f.Tensors.All(t => t.Type == GgmlType.F32 && t.Dimensions.SequenceEqual([64L])));
    }

    [Test]
    public void LayerZeroCannotBeWritten()
    {
        Assert.Throws<ArgumentException>(() => ControlVectorFile.Write(Sample(64, 0, 1), PathOf("v.gguf")));
        Assert.That(File.Exists(PathOf("v.gguf")), Is.False);
    }

    private string Write(Action<GgufWriter> build)
    {
        var w = new GgufWriter().SetString("general.architecture", "controlvector");
        build(w);
        var p = PathOf($"{Guid.NewGuid():N}.gguf");
        w.WriteTo(p);
        return p;
    }

    private static string ReadFails(string path, int? embd = null) =>
        Assert.Throws<ControlVectorFormatException>(() => ControlVectorFile.Read(path, embd))!.Message;

    [Test]
    public void BadFilesAreNamedErrors()
    {
        var ones = Enumerable.Repeat(1f, 64).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(ReadFails(Write(w => w.AddTensor("direction.0", ones, 64))), Does.Contain("direction.0"));
            Assert.That(ReadFails(Write(w => w.AddTensor("dir.3", ones, 64))), Does.Contain("not named direction.N"));
            Assert.That(ReadFails(Write(w => w.AddTensor("direction.1", GgmlType.F16, [64], new byte[128]))), Does.Contain("F16").And.Contain("must be F32"));
            Assert.That(ReadFails(Write(w => w.AddTensor("direction.1", ones, 32, 2))), Does.Contain("1-D"));
            Assert.That(ReadFails(Write(w => w.AddTensor("direction.1", ones.Select((v, i) => i == 5 ? float.NaN : v).ToArray(), 64))), Does.Contain("non-finite").And.Contain("index 5"));
            Assert.That(ReadFails(Write(w => w.AddTensor("direction.1", ones.Select(_ => float.PositiveInfinity).ToArray(), 64))), Does.Contain("non-finite"));
            Assert.That(ReadFails(Write(w => w.AddTensor("direction.1", ones, 64).AddTensor("direction.2", new float[32], 32))), Does.Contain("earlier directions have 64"));
            Assert.That(ReadFails(Write(w => w.AddTensor("direction.1", ones.Select(_ => 1e6f).ToArray(), 64))), Does.Contain("norm"));
            Assert.That(ReadFails(Write(w => w.AddTensor("direction.1", new float[64], 64))), Does.Contain("every direction is zero"));
            Assert.That(ReadFails(Write(w => w.AddTensor("direction.1", ones, 64)), 288), Does.Contain("the model's n_embd is 288"));
            Assert.That(ReadFails(Write(_ => { })), Does.Contain("no direction tensors"));
            Assert.That(ReadFails(TestPaths.Model), Does.Contain("'llama', not 'controlvector'"));
            Assert.That(ReadFails(PathOf("missing.gguf")), Does.Contain("no such file"));
        });
    }

    [Test]
    public void TruncatedFileIsNamed()
    {
        ControlVectorFile.Write(Sample(), PathOf("v.gguf"));
        var bytes = File.ReadAllBytes(PathOf("v.gguf"));
        File.WriteAllBytes(PathOf("t.gguf"), bytes[..(bytes.Length - 100)]);
        Assert.That(ReadFails(PathOf("t.gguf")), Does.Contain("truncated"));
    }

    [Test]
    public void FailedWriteLeavesTheExistingFile()
    {
        ControlVectorFile.Write(Sample(), PathOf("v.gguf"));
        var before = File.ReadAllBytes(PathOf("v.gguf"));
        Assert.Throws<ArgumentException>(() => ControlVectorFile.Write(Sample(64, 0, 2), PathOf("v.gguf")));
        Assert.That(File.ReadAllBytes(PathOf("v.gguf")), Is.EqualTo(before));
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1), "no temporary file left behind");
    }
}
