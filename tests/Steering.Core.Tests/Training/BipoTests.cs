using LlamaSteer.Datasets;
using LlamaSteer.Models;
using LlamaSteer.Native.Graphs;
using LlamaSteer.Testing;
using LlamaSteer.Training.Engine;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Methods.Bipo;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Training;

/// <summary>BiPO on stories260K with the shipped preference sets: the held-out margin moves with the vector's sign.</summary>
[TestFixture]
public class BipoTests
{
    private static string Set(string name, string split) =>
        Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "preferences", $"{name}.{split}.jsonl");

    [TestCase("tinystories-girl-boy")]
    public void HeldOutMarginRisesForPlusVAndFallsForMinusV(string set)
    {
        var model = SharedModel.Model;
        using var weights = ModelWeights.Load(TestPaths.Model);
        var steps = new List<TrainingProgress>();
        var result = BipoTrainer.Train(model, weights, PreferenceDataset.Load(Set(set, "train")), PreferenceDataset.Load(Set(set, "heldout")),
            new BipoOptions { Layers = [2, 3], Epochs = 2, LearningRate = 2e-2f, WarmupSteps = 2 }, new SynchronousProgress<TrainingProgress>(steps.Add));
        var m = result.HeldOut!;
        TestContext.Out.WriteLine($"{set}: held-out margin -v {m.Minus:F3}, 0 {m.Unsteered:F3}, +v {m.Plus:F3}; loss per epoch {string.Join(", ", result.Report.EpochTrainingLoss.Select(l => l.ToString("F4")))}; {result.Report.TokensPerSecond:F0} tok/s");
        Assert.That(m.Plus, Is.GreaterThan(m.Unsteered));
        Assert.That(m.Minus, Is.LessThan(m.Unsteered));
        Assert.That(steps, Has.Count.EqualTo(result.Report.Steps));
        Assert.That(result.Report.EpochTrainingLoss[^1], Is.LessThan(Math.Log(2)), "the loss starts at log 2 (v = 0) and falls");
    }

    [Test]
    public void EqualSeedsGiveEqualVectorsAndOtherSeedsOtherOnes()
    {
        var model = SharedModel.Model;
        using var weights = ModelWeights.Load(TestPaths.Model);
        var data = PreferenceDataset.Load(Set("tinystories-kind-mean", "heldout"));
        float[] Run(int seed) => BipoTrainer.Train(model, weights, data, null,
            new BipoOptions { Layers = [3], Epochs = 1, BatchSize = 2, LearningRate = 1e-2f, WarmupSteps = 0, Seed = seed }).Vector.Direction(3).ToArray();
        var a = Run(5);
        Assert.That(Run(5), Is.EqualTo(a));
        Assert.That(Run(6), Is.Not.EqualTo(a));
    }
}

/// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
