using LlamaSteer.Testing;
using LlamaSteer.Training.Methods.Bipo;
using LlamaSteer.Training.Methods.Clas;

namespace LlamaSteer.Core.Tests.Training;

/// <summary>The shipped preference pairs and completion targets load, are documented, and keep held-out openings out of training.</summary>
[TestFixture]
public class ShippedTrainingDataTests
{
    private static string Folder(string sub) => Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", sub);

    public static IEnumerable<string> PreferenceFiles() => Directory.EnumerateFiles(Folder("preferences"), "*.jsonl").Select(Path.GetFileName).Order()!;

    [TestCaseSource(nameof(PreferenceFiles))]
    public void PreferenceFileLoadsAndIsListedInTheReadme(string name)
    {
        Assert.That(PreferenceDataset.Load(Path.Combine(Folder("preferences"), name)).Pairs, Has.Count.GreaterThanOrEqualTo(12));
        Assert.That(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "vectors", "README.md")), Does.Contain($"`{name}`"));
    }

    [TestCase("tinystories-happy-sad")]
    [TestCase("tinystories-girl-boy")]
    [TestCase("tinystories-kind-mean")]
    public void HeldOutOpeningsNeverOccurInTraining(string set)
    {
        var train = PreferenceDataset.Load(Path.Combine(Folder("preferences"), $"{set}.train.jsonl")).Pairs.Select(p => p.Prompt).ToHashSet();
        var held = PreferenceDataset.Load(Path.Combine(Folder("preferences"), $"{set}.heldout.jsonl")).Pairs;
        Assert.That(held.Where(p => train.Contains(p.Prompt)), Is.Empty);
    }

    [TestCase("happy-completions.train.jsonl")]
    [TestCase("happy-completions.validation.jsonl")]
    public void CompletionTargetsLoadAndAreListedInTheReadme(string name)
    {
        Assert.That(CompletionDataset.Load(Path.Combine(Folder("clas"), name)).Items, Has.Count.GreaterThanOrEqualTo(12));
        Assert.That(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "vectors", "README.md")), Does.Contain($"`{name}`"));
    }
}
