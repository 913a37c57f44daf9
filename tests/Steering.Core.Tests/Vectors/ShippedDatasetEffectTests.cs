using LlamaSteer.Datasets;
using LlamaSteer.Evaluation;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Vectors;

/// <summary>
/// Every shipped TinyStories dataset with a probe yields a vector that moves its concept's next-token
/// log-odds monotonically over strengths -2..2, on held-out prompts that are not in the dataset.
/// </summary>
[TestFixture]
public class ShippedDatasetEffectTests
{
    private static string Folder => Path.Combine(TestPaths.RepoRoot, "vectors", "datasets");

    // Datasets recorded as weak or not steering (vectors/README.md) are not held to the monotone bar.
    public static IEnumerable<TestCaseData> Datasets() =>
        ProbeCatalog.Load(Path.Combine(Folder, "probes.json"))
            .Where(p => p.Key.StartsWith("tinystories-", StringComparison.Ordinal) && p.Value.Steers)
            .Select(p => new TestCaseData(p.Key).SetName($"Effect_{p.Key}"));

    [Test]
    public void AtLeastFourTinyStoriesConceptsSteer() =>
        // girl/boy, mood, and at least two more.
        Assert.That(Datasets().Count(), Is.GreaterThanOrEqualTo(4));

    private LlamaModel _model = null!;

    [OneTimeSetUp] public void Load() => _model = SharedModel.Model;

    [TestCaseSource(nameof(Datasets))]
    public void VectorMovesTheConceptMonotonically(string name)
    {
        var probe = ProbeCatalog.Load(Path.Combine(Folder, "probes.json"))[name];
        var data = ContrastiveDataset.Load(Path.Combine(Folder, name + ".jsonl"));
        var inDataset = data.Pairs.SelectMany(p => new[] { p.Prompt, p.Positive, p.Negative }).Where(t => t is not null).ToList();
        Assert.That(probe.Prompts.Where(p => inDataset.Any(t => t!.Contains(p, StringComparison.Ordinal) && p.Length > 20)), Is.Empty, "probe prompts must be held out");

        var layers = SharedModel.Layers;
        var effect = ConceptEffect.Sweep(_model, SharedModel.Vector(name), layers, probe.Prompts, ProbeTokens.Resolve(_model, probe.Positive, probe.Negative),
            [-2f, -1f, -0.5f, 0f, 0.5f, 1f, 2f], threads: 1);
        var means = effect.Select(e => e.MeanLogProbDifference).ToArray();
        TestContext.Out.WriteLine($"{name}: {string.Join("  ", means.Select(m => m.ToString("+0.00;-0.00")))}");
        Assert.That(means, Is.Ordered.Ascending.And.Unique, $"{name}: {string.Join(", ", means.Select(m => m.ToString("F2")))}");
        Assert.That(means[^1] - means[0], Is.GreaterThan(1.0), $"{name}: the effect is too small to call steering");
    }
}
