using LlamaSteer.Generation;
using LlamaSteer.Gguf;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;
using LlamaSteer.Synthesis;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;
using LlamaSteer.Vectors.Baking;
using static LlamaSteer.Core.Tests.Vectors.Baking.BakeInputs;

namespace LlamaSteer.Core.Tests.Vectors.Baking;

/// <summary>
/// A model with vectors baked into its ffn_down biases, run by llama.cpp, against the original model steered online
/// by the same vectors (llama.cpp's own control vector, or the evaluation callback for layer 0): the logits at every
/// position, and greedy and seeded sampled generations. Logits are compared with <see cref="ContextOptions.ExactAttention"/>:
/// baking adds the same numbers in another order, and with llama.cpp's default F16 attention such a rounding difference
/// sometimes moves a logit by 1e-3, as much as changing the control vector itself by one ulp does.
/// </summary>
[TestFixture]
public class BakedSteeringEquivalenceTests
{
    private const float Tolerance = 1e-4f;
    private const string Prompt = "Once upon a time, there was a little girl who";

    private string _dir = null!;

    [SetUp] public void MakeDir() => _dir = TestPaths.NewTempDirectory();
    [TearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    /// <summary>Logits at every prompt position, steered by a control vector built from <paramref name="online"/> or by <paramref name="hook"/>.</summary>
    private static float[][] Logits(LlamaModel model, IReadOnlyList<VectorTerm> online, IGraphHook? hook = null)
    {
        using var context = model.CreateContext(new ContextOptions { Threads = 1, EnableGraphHooks = hook is not null, ExactAttention = true });
        using var lease = context.Acquire();
        if (online.Count > 0)
        {
            var buffer = ControlVectorAdapter.Build(online, model.EmbeddingSize, model.LayerCount);
            lease.SetControlVector(buffer.Data, buffer.FirstLayer, buffer.LastLayer);
        }
        var tokens = model.Tokenize(Prompt);
        var batch = new TokenBatch();
        for (var i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, 0, output: true);
        lease.Decode(batch, hook);
        return Enumerable.Range(0, tokens.Length).Select(i => lease.Logits(i).ToArray()).ToArray();
    }

    private static float MaxDifference(float[][] a, float[][] b) =>
        a.Zip(b, (x, y) => BakeInputs.MaxDifference(x, y)).Max();

    /// <summary>Bakes, then compares the baked model with the original steered online by the same terms.</summary>
    private float CompareWithOnline(string modelPath, IReadOnlyList<VectorTerm> terms)
    {
        var baked = PathOf("baked.gguf");
        VectorBaker.Bake(modelPath, terms, baked);
        using var original = LlamaModel.Load(modelPath);
        using var steered = LlamaModel.Load(baked);

        var online = Logits(original, terms);
        var viaBias = Logits(steered, []);
        var unsteered = Logits(original, []);

        var difference = MaxDifference(online, viaBias);
        TestContext.Out.WriteLine($"{Path.GetFileName(modelPath)}: max |baked - online| = {difference:G3}; the vectors' own effect: {MaxDifference(online, unsteered):G3}");
        // The vectors really steer, so the equality is not vacuous.
        Assert.That(MaxDifference(online, unsteered), Is.GreaterThan(0.05f));
        return difference;
    }

    [Test]
    public void BakedLogitsEqualTheControlVectorOnStories260K()
    {
        var embd = GgufFile.Read(TestPaths.Model).GetInt64("llama.embedding_length")!.Value;
        var happy = RandomVector(1, (int)embd, [1, 2, 4]);
        var lily = RandomVector(2, (int)embd, [1, 2, 3, 4]);
        VectorTerm[] terms = [new(happy, 0.8f, null, "happy.gguf"), new(lily, -0.3f, LayerSet.Range(2, 4), "lily.gguf")];

        Assert.That(CompareWithOnline(TestPaths.Model, terms), Is.LessThan(Tolerance));
    }

    [Test]
    public void BakedLogitsEqualTheControlVectorOnASynthesizedQ80Model()
    {
        var synthetic = PathOf("q8_0.gguf");
        SyntheticModelWriter.Write(
            new SyntheticModelSpec(new ModelShape(64, 3, 4, 2, 128, 600)) { WeightType = GgmlType.Q8_0, Seed = 5 }, GgufFile.Read(TestPaths.Model), synthetic);
        Assert.That(GgufFile.Read(synthetic).FindTensor("blk.1.ffn_down.weight")!.Type, Is.EqualTo(GgmlType.Q8_0));
        VectorTerm[] terms = [new(RandomVector(3, 64, [1, 2]), 1.5f, null, "v.gguf")];

        Assert.That(CompareWithOnline(synthetic, terms), Is.LessThan(Tolerance));
    }

    [Test]
    public void Layer0WhichNoControlVectorFileHoldsBakesAsAnAddToLOut0()
    {
        var original = SharedModel.Model;
        var vector = RandomVector(4, original.EmbeddingSize, [0]);
        var baked = PathOf("layer0.gguf");
        var result = VectorBaker.Bake(TestPaths.Model, [new VectorTerm(vector, 0.7f, null, "layer0")], baked);
        using var steered = LlamaModel.Load(baked);

        var add = vector.Scale(0.7f);
        var online = Logits(original, [], new AddVectorHook(new Dictionary<int, float[]> { [0] = add.Direction(0).ToArray() }));
        var viaBias = Logits(steered, []);

        Assert.That(result.Layers.Select(l => l.Layer), Is.EqualTo(new[] { 0 }));
        Assert.That(MaxDifference(online, Logits(original, [])), Is.GreaterThan(0.05f));
        Assert.That(MaxDifference(online, viaBias), Is.LessThan(Tolerance));
    }

    [Test]
    public void BakingIntoAModelThatHasTheBiasAddsToIt()
    {
        var original = SharedModel.Model;
        var first = new VectorTerm(RandomVector(5, original.EmbeddingSize, [2, 3]), 0.6f, null, "first.gguf");
        var second = new VectorTerm(RandomVector(6, original.EmbeddingSize, [3, 4]), -0.9f, null, "second.gguf");
        var once = PathOf("once.gguf");
        var twice = PathOf("twice.gguf");
        VectorBaker.Bake(TestPaths.Model, [first], once);
        var result = VectorBaker.Bake(once, [second], twice);
        using var steered = LlamaModel.Load(twice);

        Assert.That(result.Layers.Select(l => (l.Layer, l.Created)), Is.EqualTo(new[] { (3, false), (4, true) }));
        Assert.That(MaxDifference(Logits(original, [first, second]), Logits(steered, [])), Is.LessThan(Tolerance));
    }

    [Test]
    public void GreedyAndSeededSampledGenerationsAreIdentical()
    {
        var original = SharedModel.Model;
        VectorTerm[] terms = [new(RandomVector(7, original.EmbeddingSize, [2, 3, 4]), 0.5f, null, "v.gguf")];
        var baked = PathOf("generate.gguf");
        VectorBaker.Bake(TestPaths.Model, terms, baked);
        using var steered = LlamaModel.Load(baked);

        GenerationResult Generate(LlamaModel model, IReadOnlyList<VectorTerm> vectors, SamplingOptions sampling)
        {
            using var context = model.CreateContext(new ContextOptions { Threads = 1 });
            return new TextGenerator(context).Generate(Prompt, new GenerationOptions { MaxTokens = 48, Sampling = sampling, Vectors = vectors });
        }

        foreach (var sampling in new[] { SamplingOptions.Greedy, new SamplingOptions { Temperature = 0.9f, Seed = 11 }, new SamplingOptions { Temperature = 1.2f, Seed = 12 } })
        {
            var online = Generate(original, terms, sampling);
            var viaBias = Generate(steered, [], sampling);
            TestContext.Out.WriteLine($"T={sampling.Temperature}: {online.Text}");
            Assert.That(viaBias.Tokens, Is.EqualTo(online.Tokens), $"temperature {sampling.Temperature}");
            Assert.That(online.Tokens, Has.Count.GreaterThan(8));
        }
        // Steering changes the text, so equal texts are not simply the unsteered one twice.
        Assert.That(Generate(original, [], SamplingOptions.Greedy).Tokens, Is.Not.EqualTo(Generate(steered, [], SamplingOptions.Greedy).Tokens));
    }
}
