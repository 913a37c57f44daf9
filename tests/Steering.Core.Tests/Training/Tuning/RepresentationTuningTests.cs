using LlamaSteer.Core.Tests.Evaluation;
using LlamaSteer.Models;
using LlamaSteer.Testing;
using LlamaSteer.Training.Methods.Clas;
using LlamaSteer.Training.Methods.Tuning;
using LlamaSteer.Vectors;
using GgufFile = LlamaSteer.Gguf.GgufFile;
using ModelWeights = LlamaSteer.Training.Graph.ModelWeights;

namespace LlamaSteer.Core.Tests.Training.Tuning;

/// <summary>
/// Representation tuning on stories260K with the shipped completions and the happy-sad vector: both loss terms fall
/// on the training set, and the held-out cosine, measured through llama.cpp on the written model, moves the requested
/// way (up when tuning in, towards zero when tuning out).
/// </summary>
[TestFixture]
public class RepresentationTuningTests
{
    private static readonly int[] Layers = [3, 4];
    private LlamaModel _model = null!;
    private SteeringVector _happy = null!;
    private string _dir = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _model = SharedModel.Model;
        _happy = SharedModel.Vector("tinystories-happy-sad");
        _dir = TestPaths.NewTempDirectory();
    }

    [OneTimeTearDown]
    public void Unload()
    {
        Directory.Delete(_dir, true);
    }

    private (IReadOnlyList<CompletionExample> Train, IReadOnlyList<CompletionExample> Held) Completions(string folder, string name)
    {
        string File(string split) => Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", folder, $"{name}.{split}.jsonl");
        return (CompletionDataset.Load(File("train")).Tokenize(_model), CompletionDataset.Load(File("validation")).Tokenize(_model));
    }

    private TuningResult Tune(TuningOptions options, IReadOnlyList<CompletionExample> train, IReadOnlyList<CompletionExample> held, string output)
    {
        using var weights = ModelWeights.Load(TestPaths.Model);
        return RepresentationTuner.Tune(GgufFile.Read(TestPaths.Model), weights, _happy, train, held, options, output);
    }

    [Test]
    public void TuningInLowersBothTermsAndRaisesTheHeldOutCosine()
    {
        var (train, held) = Completions("clas", "happy-completions");
        var output = Path.Combine(_dir, "in.gguf");
        var result = Tune(new TuningOptions { Layers = Layers, Mode = TuningMode.In, Lambda = 5, Epochs = 2, OutputType = TunedTensorType.F32 }, train, held, output);

        Assert.That(result.TrainAfter.Token, Is.LessThan(result.TrainBefore.Token), "token loss on the training completions");
        Assert.That(result.TrainAfter.Representation, Is.LessThan(result.TrainBefore.Representation), "representation loss on the training completions");

        var baseCosine = IndependentMeasures.Cosine(_model, _happy, Layers, held, absolute: false);
        using var tuned = LlamaModel.Load(output);
        var tunedCosine = IndependentMeasures.Cosine(tuned, _happy, Layers, held, absolute: false);
        TestContext.Out.WriteLine($"held-out cos(h, v) through llama.cpp: base {baseCosine:F4}, tuned in {tunedCosine:F4} (graph: {result.Before.Cosine:F4} -> {result.Written.Cosine:F4})");
        Assert.That(tunedCosine, Is.GreaterThan(baseCosine + 0.05), "tuning in aligns the held-out hidden states with the direction");
        // The training graph's measure of the written file agrees with llama.cpp's (its default F16 attention rounds a little).
        Assert.That(result.Before.Cosine, Is.EqualTo(baseCosine).Within(1e-2));
        Assert.That(result.Written.Cosine, Is.EqualTo(tunedCosine).Within(1e-2));
        Assert.That(result.Written.Token, Is.EqualTo(IndependentMeasures.TokenLoss(tuned, held)).Within(1e-3), "held-out token loss of the written model");
    }

    [Test]
    public void TuningOutWithALowRankUpdateShrinksTheHeldOutCosine()
    {
        var (train, held) = Completions("tuning", "sad-completions");
        var output = Path.Combine(_dir, "out.gguf");
        var result = Tune(new TuningOptions { Layers = Layers, Mode = TuningMode.Out, Lambda = 5, Epochs = 2, Rank = 4, LearningRate = 3e-3f, OutputType = TunedTensorType.F16 }, train, held, output);

        Assert.That(result.TrainAfter.Token, Is.LessThan(result.TrainBefore.Token), "token loss on the training completions");
        Assert.That(result.TrainAfter.Representation, Is.LessThan(result.TrainBefore.Representation), "representation loss on the training completions");
        Assert.That(result.TrainableValues, Is.EqualTo(Layers.Length * 4 * ((172 + 64) + (64 + 64))), "rank 4 updates of ffn_down [172, 64] and attn_output [64, 64]");
        Assert.That(result.WrittenTypes.Values, Is.All.EqualTo(LlamaSteer.Gguf.GgmlType.F16));

        var baseAbs = IndependentMeasures.Cosine(_model, _happy, Layers, held, absolute: true);
        using var tuned = LlamaModel.Load(output);
        var tunedAbs = IndependentMeasures.Cosine(tuned, _happy, Layers, held, absolute: true);
        TestContext.Out.WriteLine($"held-out |cos(h, v)| through llama.cpp: base {baseAbs:F4}, tuned out {tunedAbs:F4}");
        Assert.That(tunedAbs, Is.LessThan(baseAbs), "tuning out makes the held-out hidden states more orthogonal to the direction");
    }
}
