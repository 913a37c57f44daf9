using LlamaSteer.Gguf;
using LlamaSteer.Models;
using LlamaSteer.Testing;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Parameters;

namespace LlamaSteer.Core.Tests.Training;

/// <summary>Gate 1: the training graph's logits equal llama_decode's (F32 KV cache) within 1e-4, with and without a steering vector.</summary>
[TestFixture]
public class ForwardGraphTests
{
    private const string Prompt = "Once upon a time, there was a little girl named Lily. She loved to play";
    private string _dir = null!;

    [OneTimeSetUp] public void MakeDir() => _dir = TestPaths.NewTempDirectory();
    [OneTimeTearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    private static double MaxDifference(string path, bool steer)
    {
        using var model = LlamaModel.Load(path);
        using var weights = ModelWeights.Load(path);
        var tokens = model.Tokenize(Prompt);
        var vectors = new LayerVectors([2], model.EmbeddingSize, _ => LlamaCppReference.RandomVector(model.EmbeddingSize, 5, 0.5f));

        using var runner = new GraphRunner(1);
        using var step = new GraphStep(LlamaGraphBuilder.NodeBudget(weights.Hyperparameters.LayerCount, 1));
        var pass = new LlamaGraphBuilder(weights, step).Build(tokens, steer ? vectors : null);
        step.Output(pass.Logits);
        runner.Forward(step);
        var graph = pass.Logits.ReadFloats();

        var reference = LlamaCppReference.Logits(model, tokens, steer ? new Dictionary<int, float[]> { [2] = vectors.Vector(2) } : null);
        var vocab = model.VocabularySize;
        Assert.That(graph, Has.Length.EqualTo(vocab * tokens.Length));
        var worst = 0.0;
        for (var i = 0; i < tokens.Length; i++)
            for (var k = 0; k < vocab; k++) worst = Math.Max(worst, Math.Abs(graph[i * vocab + k] - reference[i][k]));
        return worst;
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Stories260KLogitsEqualLlamaDecode(bool steer) =>
        Assert.That(MaxDifference(TestPaths.Model, steer), Is.LessThan(1e-4));

    [TestCase(GgmlType.F32, false)]
    [TestCase(GgmlType.F32, true)]
    public void SynthesizedModelLogitsEqualLlamaDecode(GgmlType type, bool tied) =>
        Assert.That(MaxDifference(LlamaCppReference.Synthesize(_dir, type, tied), steer: true), Is.LessThan(1e-4));

    [Test]
    public void Qwen2ModelWithBiasesAndNeoxRopeEqualsLlamaDecode() =>
        Assert.That(MaxDifference(LlamaCppReference.SynthesizeQwen2(_dir), steer: true), Is.LessThan(1e-4));

    [Test]
    public void LayerOutputsCarryLlamaCppNames()
    {
        using var weights = ModelWeights.Load(TestPaths.Model);
        using var step = new GraphStep(LlamaGraphBuilder.NodeBudget(weights.Hyperparameters.LayerCount, 1));
        var pass = new LlamaGraphBuilder(weights, step).Build([1, 400, 50]);
        Assert.That(pass.LayerOutputs.Select(t => t.Name), Is.EqualTo(Enumerable.Range(0, weights.Hyperparameters.LayerCount).Select(i => $"l_out-{i}")));
        Assert.That(pass.Logits.Name, Is.EqualTo("result_output"));
    }
}
