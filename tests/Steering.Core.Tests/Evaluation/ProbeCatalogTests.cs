using LlamaSteer.Errors;
using LlamaSteer.Evaluation;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Evaluation;

/// <summary>The probe catalogue (vectors/datasets/probes.json): its quality field and its default, and one-line errors for a bad file. Pure.</summary>
[TestFixture]
public class ProbeCatalogTests
{
    private string _dir = null!;

    [SetUp] public void MakeDir() => _dir = TestPaths.NewTempDirectory();
    [TearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    private string Write(string json)
    {
        var path = Path.Combine(_dir, "probes.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Test]
    public void AProbeSteersUnlessItsQualitySaysOtherwise()
    {
        var probes = ProbeCatalog.Load(Write("""
            {"plain": {"positive": " happy", "negative": " sad", "prompts": ["One day,", "Then"]},
             "weak": {"positive": " big", "negative": " small", "prompts": ["It was"], "quality": "weak"}}
            """));
        Assert.Multiple(() =>
        {
            Assert.That(probes["plain"].Quality, Is.EqualTo("steers"));
            Assert.That(probes["plain"].Steers, Is.True);
            Assert.That(probes["plain"].Prompts, Is.EqualTo(new[] { "One day,", "Then" }));
            Assert.That((probes["plain"].Positive, probes["plain"].Negative), Is.EqualTo((" happy", " sad")), "words keep their leading space");
            Assert.That(probes["weak"].Quality, Is.EqualTo("weak"));
            Assert.That(probes["weak"].Steers, Is.False);
        });
    }

    [Test]
    public void TheShippedCatalogueHasAProbeForEveryShippedDatasetItNames()
    {
        var dir = Path.Combine(TestPaths.RepoRoot, "vectors", "datasets");
        var probes = ProbeCatalog.Load(Path.Combine(dir, "probes.json"));
        Assert.That(probes, Is.Not.Empty);
        foreach (var (name, probe) in probes)
        {
            Assert.That(File.Exists(Path.Combine(dir, name + ".jsonl")), $"{name} names no shipped dataset");
            Assert.That(probe.Prompts, Is.Not.Empty, name);
            Assert.That(probe.Quality, Is.AnyOf("steers", "weak", "none"), name);
        }
    }

    [TestCase("{\"x\": {\"positive\": \" a\", \"prompts\": []}}", "not a probe catalogue (")]
    [TestCase("{\"x\": {\"positive\": \" a\", \"negative\": \" b\", \"prompts\": \"One day\"}}", "not a probe catalogue (")]
    [TestCase("{\"x\": ", "not a probe catalogue (")]
    [TestCase("[1, 2]", "not a probe catalogue (")]
    public void ABadCatalogueIsOneLineNamingTheFile(string json, string expected)
    {
        var path = Write(json);
        var e = Assert.Throws<LlamaSteerException>(() => ProbeCatalog.Load(path))!;
        Assert.That(e.Message, Does.StartWith($"{path}: {expected}").And.EndWith(").").And.Not.Contain("\n"));
    }

    [Test]
    public void AMissingCatalogueIsNamed()
    {
        var path = Path.Combine(_dir, "none.json");
        Assert.That(() => ProbeCatalog.Load(path), Throws.TypeOf<LlamaSteerException>().With.Message.StartWith($"{path}: not a probe catalogue ("));
    }
}
