using LlamaSteer.Datasets;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Datasets;

[TestFixture]
public class LabelledPromptSetTests
{
    private static string Folder => Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "conditions");

    public static IEnumerable<string> Shipped() => Directory.GetFiles(Folder, "*.jsonl").Select(Path.GetFileNameWithoutExtension)!;

    [TestCaseSource(nameof(Shipped))]
    public void ShippedSetsAreBalancedWithDisjointSplits(string name)
    {
        var set = LabelledPromptSet.Load(Path.Combine(Folder, name + ".jsonl"));
        var sizes = new[] { ("fit", true), ("fit", false), ("test", true), ("test", false) }.Select(s => set.Select(s.Item1, s.Item2).Count).ToArray();
        Assert.That(sizes, Is.All.EqualTo(sizes[0]).And.All.GreaterThanOrEqualTo(20));
        Assert.That(set.Select("fit", true).Concat(set.Select("fit", false)).Intersect(set.Select("test", true).Concat(set.Select("test", false))), Is.Empty);
        Assert.That(set.Sha256, Has.Length.EqualTo(64));
        Assert.That(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "vectors", "README.md")), Does.Contain($"`{name}.jsonl`"), "listed in vectors/README.md");
    }

    [TestCase("{\"prompt\": \"a\", \"label\": true}", "line 1: a labelled prompt is")]
    [TestCase("{\"prompt\": \"a\", \"label\": \"yes\", \"split\": \"fit\"}", "line 1: the field 'label' must be true or false")]
    [TestCase("{\"prompt\": \"a\", \"label\": true, \"split\": \"train\"}", "line 1: the field 'split' must be \"fit\" or \"test\"")]
    [TestCase("{\"prompt\": \"a\", \"label\": true, \"split\": 3}", "line 1: the field 'split' must be")]
    [TestCase("{\"prompt\": \"\", \"label\": true, \"split\": \"fit\"}", "line 1: the field 'prompt' must be a non-empty string")]
    [TestCase("{\"prompt\": \"a\", \"label\": true, \"split\": \"fit\", \"x\": 1}", "line 1: unknown field 'x'")]
    [TestCase("[1]", "line 1: expected a JSON object")]
    [TestCase("{\"prompt\": \"a\", \"label\": true, \"split\": \"fit\"}\n{\"prompt\": \"a\", \"label\": false, \"split\": \"test\"}", "line 2: the prompt repeats line 1")]
    [TestCase("// only a comment", "no prompts")]
    [TestCase("{\"prompt\": \"a\", \"label\": true, \"split\": \"fit\"}", "the 'fit' split has no prompts labelled false")]
    public void MalformedFilesAreRefusedWithTheLine(string content, string expected)
    {
        using var files = new DatasetFiles();
        var path = files.Write(content + "\n", "labelled");
        var e = Assert.Throws<DatasetFormatException>(() => LabelledPromptSet.Load(path))!;
        Assert.That(e.Message, Does.StartWith(path).And.Contain(expected));
    }
}
