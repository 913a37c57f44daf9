using LlamaSteer.Datasets;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Datasets;

/// <summary>The datasets shipped in vectors/datasets: they load, are documented, and keep their probes held out.</summary>
[TestFixture]
public class ShippedDatasetTests
{
    private static string Folder => ProbeSet.DatasetsFolder;

    // conditions/ holds labelled prompts, preferences/ and clas/ training data for gradient methods, not contrastive
    // pairs (LabelledPromptSetTests and ShippedTrainingDataTests cover them).
    public static IEnumerable<TestCaseData> JsonlFiles() =>
        Directory.EnumerateFiles(Folder, "*.jsonl", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Folder, f))
            .Where(f => !new[] { "conditions", "preferences", "clas" }.Any(d => f.StartsWith(d + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal)
            .Select(f => new TestCaseData(f).SetArgDisplayNames(f));

    public static IEnumerable<TestCaseData> TinyStoriesFiles() =>
        JsonlFiles().Where(c => ((string)c.Arguments[0]!).StartsWith("tinystories-", StringComparison.Ordinal));

    internal static ContrastiveDataset Load(string relative) => ContrastiveDataset.Load(Path.Combine(Folder, relative));

    [Test]
    public void TheFolderShipsDatasets()
    {
        Assert.That(JsonlFiles().Count(), Is.GreaterThanOrEqualTo(10));
        Assert.That(TinyStoriesFiles().Count(), Is.GreaterThanOrEqualTo(6));
    }

    [TestCaseSource(nameof(JsonlFiles))]
    public void LoadsWithoutError(string relative)
    {
        var ds = Load(relative);
        Assert.That(ds.Pairs, Has.Count.GreaterThanOrEqualTo(20));
        Assert.That(ds.Sha256, Has.Length.EqualTo(64));
    }

    [TestCaseSource(nameof(JsonlFiles))]
    public void IsListedInTheReadme(string relative)
    {
        var readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "vectors", "README.md"));
        Assert.That(readme, Does.Contain($"`{Path.GetFileName(relative)}`"));
    }

    [Test]
    public void EveryTinyStoriesDatasetHasAProbeAndEveryProbeADataset()
    {
        var names = TinyStoriesFiles().Select(c => Path.GetFileNameWithoutExtension((string)c.Arguments[0]!));
        Assert.That(ProbeSet.LoadShipped().Keys, Is.EquivalentTo(names));
    }

    [Test]
    public void ProbePromptsAreHeldOut()
    {
        foreach (var (name, probe) in ProbeSet.LoadShipped())
        {
            Assert.That(probe.Prompts, Has.Length.InRange(5, 8), name);
            Assert.That(probe.Prompts, Is.Unique, name);
            var texts = Load(name + ".jsonl").Pairs
                .SelectMany(p => new[] { p.Prompt + p.Positive, p.Prompt + p.Negative })
                .ToList();
            foreach (var prompt in probe.Prompts)
                Assert.That(texts, Has.None.Contain(prompt), $"{name}: the probe prompt '{prompt}' is in the dataset");
        }
    }

    [Test]
    public void InstructionFilesAreTheBasePromptsWithTheirInstruction()
    {
        var basePrompts = ContrastiveDataset.LoadPromptList(Path.Combine(Folder, "instructions", "base-prompts.txt"));
        Assert.That(basePrompts, Has.Count.GreaterThanOrEqualTo(40));
        Assert.That(basePrompts, Is.Unique);
        var files = Directory.GetFiles(Path.Combine(Folder, "instructions"), "*.jsonl");
        Assert.That(files, Has.Length.GreaterThanOrEqualTo(4));
        foreach (var file in files)
        {
            var ds = ContrastiveDataset.Load(file);
            Assert.That(ds.Kind, Is.EqualTo(DatasetKind.Instruction), file);
            Assert.That(ds.Instruction, Is.Not.Null, $"{file}: one instruction for every line");
            var generated = ContrastiveDataset.FromInstruction(ds.Instruction!, basePrompts, ds.Name);
            Assert.That(ds.Pairs.Select(p => (p.Positive, p.Negative)), Is.EqualTo(generated.Pairs.Select(p => (p.Positive, p.Negative))), file);
        }
    }

    [Test]
    public void PersonaDatasetsAnswerAUserPrompt()
    {
        var files = Directory.GetFiles(Folder, "persona-*.jsonl");
        Assert.That(files, Has.Length.GreaterThanOrEqualTo(3));
        foreach (var file in files)
        {
            var ds = ContrastiveDataset.Load(file);
            Assert.That(ds.Kind, Is.EqualTo(DatasetKind.Contrastive), file);
            Assert.That(ds.Pairs.Select(p => p.Prompt), Has.All.Not.Null, file);
            Assert.That(ds.Pairs.Select(p => p.Prompt), Is.Unique, file);
        }
    }
}
