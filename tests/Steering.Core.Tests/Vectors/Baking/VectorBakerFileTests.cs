using LlamaSteer.Gguf;
using LlamaSteer.Steering;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;
using LlamaSteer.Vectors.Baking;
using static LlamaSteer.Core.Tests.Vectors.Baking.BakeInputs;

namespace LlamaSteer.Core.Tests.Vectors.Baking;

/// <summary>What a bake writes (and copies), and everything it refuses, on the managed GGUF reader alone.</summary>
[TestFixture]
public class VectorBakerFileTests
{
    private const int Embd = 64;

    private string _dir = null!;

    [SetUp] public void MakeDir() => _dir = TestPaths.NewTempDirectory();
    [TearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static VectorTerm Term(int seed, int[] layers, float strength = 1f, LayerSet? only = null, string? hint = "llama") =>
        new(RandomVector(seed, Embd, layers, hint), strength, only, $"v{seed}.gguf");

    /// <summary>A copy of stories260K with metadata changed by <paramref name="edit"/> and, optionally, one extra F32 tensor.</summary>
    private string EditedModel(string name, Action<GgufWriter> edit, string? extraTensor = null)
    {
        var model = GgufFile.Read(TestPaths.Model);
        var writer = GgufWriter.From(model);
        edit(writer);
        foreach (var t in model.Tensors) writer.AddTensor(t.Name, t.Type, t.Dimensions.ToArray(), model.ReadTensorBytes(t));
        if (extraTensor is not null) writer.AddTensor(extraTensor, [1f], 1);
        var path = PathOf(name);
        writer.WriteTo(path);
        return path;
    }

    private static BakeException Refused(BakeProblem problem, TestDelegate bake)
    {
        var e = Assert.Throws<BakeException>(bake)!;
        Assert.That(e.Problem, Is.EqualTo(problem), e.Message);
        Assert.That(e.Message, Does.Not.Contain('\n'));
        return e;
    }

    [Test]
    public void UntouchedTensorsAndMetadataAreCopiedByteForByteAndTheBiasesHoldTheScaledSums()
    {
        var happy = Term(1, [1, 2, 4], 0.8f);
        var lily = Term(2, [1, 2, 3, 4], -0.3f, LayerSet.Range(2, 4));
        var output = PathOf("baked.gguf");

        var result = VectorBaker.Bake(TestPaths.Model, [happy, lily], output);

        var input = GgufFile.Read(TestPaths.Model);
        var baked = GgufFile.Read(output);
        var biasNames = new[] { 1, 2, 3, 4 }.Select(VectorBaker.BiasName).ToArray();
        Assert.That(input.Tensors.Select(t => t.Name), Has.None.AnyOf(biasNames), "stories260K has no ffn_down bias of its own");
        Assert.That(baked.Tensors.Select(t => t.Name), Is.EqualTo(input.Tensors.Select(t => t.Name).Concat(biasNames)));
        Assert.Multiple(() =>
        {
            foreach (var tensor in input.Tensors)
            {
                var copy = baked.FindTensor(tensor.Name)!;
                Assert.That((copy.Type, copy.Shape), Is.EqualTo((tensor.Type, tensor.Shape)), tensor.Name);
                Assert.That(baked.ReadTensorBytes(copy), Is.EqualTo(input.ReadTensorBytes(tensor)), tensor.Name);
            }
            foreach (var (key, value) in input.Metadata)
                Assert.That(baked.Metadata[key], Is.EqualTo(value), key);
            Assert.That(baked.Metadata.Keys.Except(input.Metadata.Keys), Has.All.StartWith(BakedRecord.Prefix));
        });
        Assert.That(result.CopiedTensors, Is.EqualTo(input.Tensors.Count));
        Assert.That(result.TensorCount, Is.EqualTo(baked.Tensors.Count));
        Assert.That(result.FileLength, Is.EqualTo(new FileInfo(output).Length));

        foreach (var layer in new[] { 1, 2, 3, 4 })
        {
            var expected = new double[Embd];
            if (happy.Vector.HasLayer(layer))
                for (var i = 0; i < Embd; i++) expected[i] += 0.8 * happy.Vector.Direction(layer)[i];
            if (layer >= 2)
                for (var i = 0; i < Embd; i++) expected[i] += -0.3 * lily.Vector.Direction(layer)[i];
            var bias = baked.ReadTensorF32(baked.FindTensor(VectorBaker.BiasName(layer))!);
            Assert.That(bias, Is.EqualTo(expected.Select(v => (float)v).ToArray()).Within(1e-6f), $"layer {layer}");
        }
        Assert.That(result.Layers.Select(l => (l.Layer, l.Created)), Is.EqualTo(new[] { (1, true), (2, true), (3, true), (4, true) }));

        Assert.That(BakedRecord.Read(baked), Is.EqualTo(new[]
        {
            new BakedVector("v1.gguf", VectorFingerprint.Of(happy.Vector), 0.8f, "1-2,4"),
            new BakedVector("v2.gguf", VectorFingerprint.Of(lily.Vector), -0.3f, "2-4"),
        }));
    }

    [Test]
    public void AVectorForAnotherModelIsRefused()
    {
        var narrow = new VectorTerm(RandomVector(1, 32, [1]), 1f, null, "narrow.gguf");
        Assert.That(Refused(BakeProblem.UnsuitableFile, () => VectorBaker.Bake(TestPaths.Model, [narrow], PathOf("o.gguf"))).Message,
            Does.Contain("n_embd 32").And.Contain("another model"));

        var deep = Term(2, [1, 9]);
        Assert.That(Refused(BakeProblem.UnsuitableFile, () => VectorBaker.Bake(TestPaths.Model, [deep], PathOf("o.gguf"))).Message,
            Does.Contain("layers 9").And.Contain("another model"));

        var gemma = Term(3, [1], hint: "gemma2");
        Assert.That(Refused(BakeProblem.UnsuitableFile, () => VectorBaker.Bake(TestPaths.Model, [gemma], PathOf("o.gguf"))).Message,
            Does.Contain("'gemma2'").And.Contain("--force"));
        Assert.That(File.Exists(PathOf("o.gguf")), Is.False);

        VectorBaker.Bake(TestPaths.Model, [gemma], PathOf("o.gguf"), new BakeOptions { Force = true });
        Assert.That(GgufFile.Read(PathOf("o.gguf")).FindTensor("blk.1.ffn_down.bias"), Is.Not.Null);
    }

    [Test]
    public void LayersTheModelCannotBiasAreRefused()
    {
        Assert.That(Refused(BakeProblem.InvalidValue, () => VectorBaker.Bake(TestPaths.Model, [Term(1, [1, 2], only: LayerSet.Of([2, 7]))], PathOf("o.gguf"))).Message,
            Does.Contain("outside").And.Contain("0-4"));
        Assert.That(Refused(BakeProblem.InvalidValue, () => VectorBaker.Bake(TestPaths.Model, [Term(1, [1, 2], only: LayerSet.Of([3]))], PathOf("o.gguf"))).Message,
            Does.Contain("no direction on the chosen layers 3"));

        var scaled = EditedModel("scaled.gguf", _ => { }, "blk.2.ffn_down.scale");
        Assert.That(Refused(BakeProblem.InvalidValue, () => VectorBaker.Bake(scaled, [Term(1, [2])], PathOf("o.gguf"))).Message,
            Does.Contain("blk.2.ffn_down.scale"));
        Assert.That(File.Exists(PathOf("o.gguf")), Is.False);
    }

    [Test]
    public void ArchitecturesWithoutTheBiasAreRefusedWithTheListOfThoseThatHaveIt()
    {
        var gemma = EditedModel("gemma.gguf", w => w.SetString("general.architecture", "gemma2"));
        var message = Refused(BakeProblem.UnsuitableFile, () => VectorBaker.Bake(gemma, [Term(1, [1])], PathOf("o.gguf"))).Message;
        Assert.That(message, Does.Contain("'gemma2'"));
        foreach (var arch in BiasArchitectures.Supported) Assert.That(message, Does.Contain(arch));

        var moe = EditedModel("moe.gguf", w => w.SetUInt32("llama.expert_count", 8));
        Assert.That(Refused(BakeProblem.UnsuitableFile, () => VectorBaker.Bake(moe, [Term(1, [1])], PathOf("o.gguf"))).Message,
            Does.Contain("mixture-of-experts"));
        Assert.That(File.Exists(PathOf("o.gguf")), Is.False);
    }

    [Test]
    public void BakingTheSameVectorAgainIsRefusedUnlessForced()
    {
        var once = PathOf("once.gguf");
        VectorBaker.Bake(TestPaths.Model, [Term(1, [1, 2], 0.5f)], once);

        // The same directions at another strength are the same vector.
        var message = Refused(BakeProblem.UnsuitableFile, () => VectorBaker.Bake(once, [Term(1, [1, 2], 2f)], PathOf("twice.gguf"))).Message;
        Assert.That(message, Does.Contain("already has v1.gguf baked in").And.Contain("strength 0.5 on layers 1-2").And.Contain("--force"));
        Assert.That(File.Exists(PathOf("twice.gguf")), Is.False);

        var result = VectorBaker.Bake(once, [Term(1, [1, 2], 2f)], PathOf("twice.gguf"), new BakeOptions { Force = true });
        Assert.That(result.Record.Select(r => r.Strength), Is.EqualTo(new[] { 0.5f, 2f }));
        Assert.That(result.Layers.Select(l => l.Created), Has.All.False);
        var expected = RandomVector(1, Embd, [1, 2]).Direction(1).ToArray().Select(v => 2.5f * v).ToArray();
        var twice = GgufFile.Read(PathOf("twice.gguf"));
        Assert.That(twice.ReadTensorF32(twice.FindTensor("blk.1.ffn_down.bias")!), Is.EqualTo(expected).Within(1e-6f));
        Assert.That(twice.Tensors.Count(t => t.Name == "blk.1.ffn_down.bias"), Is.EqualTo(1));
    }

    [Test]
    public void TheOutputNeverReplacesTheModelAndReplacesAnotherFileOnlyWhenAsked()
    {
        var model = PathOf("model.gguf");
        File.Copy(TestPaths.Model, model);
        var before = File.ReadAllBytes(model);

        Assert.That(Refused(BakeProblem.InvalidValue, () => VectorBaker.Bake(model, [Term(1, [1])], model, new BakeOptions { Overwrite = true })).Message,
            Does.Contain("is the model"));
        Assert.That(File.ReadAllBytes(model), Is.EqualTo(before));

        var existing = PathOf("existing.gguf");
        File.WriteAllText(existing, "saved work");
        Assert.That(Refused(BakeProblem.InvalidValue, () => VectorBaker.Bake(model, [Term(1, [1])], existing)).Message,
            Does.Contain("already exists").And.Contain("--overwrite"));
        Assert.That(File.ReadAllText(existing), Is.EqualTo("saved work"));

        VectorBaker.Bake(model, [Term(1, [1])], existing, new BakeOptions { Overwrite = true });
        Assert.That(GgufFile.Read(existing).FindTensor("blk.1.ffn_down.bias"), Is.Not.Null);
    }

    [Test]
    public void ABakeCancelledInTheMiddleOfWritingLeavesNothingBehind()
    {
        using var cancellation = new CancellationTokenSource();
        var entriesWhileWriting = 0;
        var progress = new SynchronousProgress(p =>
        {
            if (p.Tensor != 3) return;
            entriesWhileWriting = Directory.GetFileSystemEntries(_dir).Length;
            cancellation.Cancel();
        });

        Assert.Throws<OperationCanceledException>(() =>
            VectorBaker.Bake(TestPaths.Model, [Term(1, [1])], PathOf("o.gguf"), progress: progress, cancellationToken: cancellation.Token));

        Assert.That(entriesWhileWriting, Is.EqualTo(1), "the write had begun: its temporary file was there");
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.Empty, "no output and no temporary file");
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<BakeProgress> report) : IProgress<BakeProgress>
    {
        public void Report(BakeProgress value) => report(value);
    }
}
