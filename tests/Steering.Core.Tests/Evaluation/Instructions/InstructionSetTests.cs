using LlamaSteer.Datasets;
using LlamaSteer.Evaluation.Instructions;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Evaluation.Instructions;

/// <summary>Instruction-set files: the shipped one loads with its split; bad files are one-line errors naming the problem. Pure.</summary>
[TestFixture]
public class InstructionSetTests
{
    private string _dir = null!;

    [SetUp] public void MakeDir() => _dir = TestPaths.NewTempDirectory();
    [TearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    private const string Prompts = "\"prompts\": [\"One.\", \"Two.\", \"Three.\", \"Four.\"]";

    private string File(string json)
    {
        var path = Path.Combine(_dir, "set.json");
        System.IO.File.WriteAllText(path, json);
        return path;
    }

    [Test]
    public void TheShippedTinyStoriesSetSplitsItsPromptsThreeWays()
    {
        var set = InstructionSet.Load(Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "instruction-sets", "tinystories.json"));
        Assert.Multiple(() =>
        {
            Assert.That(set.Train, Has.Count.EqualTo(16));
            Assert.That(set.Validation, Has.Count.EqualTo(8));
            Assert.That(set.Test, Has.Count.EqualTo(12));
            Assert.That(set.Train.Concat(set.Validation).Concat(set.Test), Is.Unique);
            Assert.That(set.Instructions.Select(i => i.Name), Is.EqualTo(new[] { "named-character", "happy", "sad", "animal", "short-sentences" }));
            Assert.That(set.Instructions, Has.All.Matches<Instruction>(i => i.Checks.Count > 0));
        });
        var animal = set["animal"];
        Assert.That(animal.WrittenInto("A prompt."), Is.EqualTo("A prompt.\n" + animal.Text));
        Assert.That(animal.IsFollowedBy("The puppy ran."), Is.True);
        Assert.That(animal.IsFollowedBy("The ball rolled."), Is.False);
    }

    [TestCase("{" + Prompts + ", \"split\": {\"train\": 1, \"validation\": 1}, \"instructions\": [{\"name\": \"a\", \"instruction\": \"Do it.\"}]}", "instruction 'a' has no checker")]
    [TestCase("{" + Prompts + ", \"split\": {\"train\": 1, \"validation\": 1}, \"instructions\": [{\"name\": \"a\", \"instruction\": \"Do it.\", \"checks\": []}]}", "instruction 'a' has no checker")]
    [TestCase("{" + Prompts + ", \"split\": {\"train\": 1, \"validation\": 1}, \"instructions\": [{\"name\": \"a\", \"instruction\": \"Do it.\", \"checks\": [\"max-words:ten\"]}]}", "instruction 'a': The check 'max-words:ten' needs a whole number")]
    [TestCase("{" + Prompts + ", \"split\": {\"train\": 1, \"validation\": 1}, \"instructions\": [{\"name\": \"a\", \"instruction\": \"Do it.\", \"checks\": [\"shout\"]}]}", "Unknown check 'shout'")]
    [TestCase("{" + Prompts + ", \"instructions\": [{\"name\": \"a\", \"instruction\": \"Do it.\", \"checks\": [\"json\"]}]}", "'split' is missing")]
    [TestCase("{" + Prompts + ", \"split\": {\"train\": 1, \"validation\": 1}, \"instructions\": []}", "'instructions' is missing or empty")]
    [TestCase("{\"prompts\": [\"One.\", \"One.\", \"Two.\"], \"split\": {\"train\": 1, \"validation\": 1}, \"instructions\": [{\"name\": \"a\", \"instruction\": \"Do it.\", \"checks\": [\"json\"]}]}", "a prompt is repeated")]
    [TestCase("{" + Prompts + ", \"split\": {\"train\": 1, \"validation\": 1}, \"instructions\": [{\"name\": \"a\", \"checks\": [\"json\"]}]}", "instruction 'a' has no 'instruction' text")]
    [TestCase("{" + Prompts + ", \"split\": {\"train\": 1, \"validation\": 1}, \"instructions\": [", "not valid JSON")]
    public void BadSetsAreOneLineErrorsNamingTheProblem(string json, string expected)
    {
        var path = File(json);
        var e = Assert.Throws<DatasetFormatException>(() => InstructionSet.Load(path))!;
        Assert.That(e.Message, Does.StartWith(path).And.Contain(expected).And.Not.Contain("\n"));
    }

    [Test]
    public void AMissingFileIsNamed()
    {
        var path = Path.Combine(_dir, "nope.json");
        Assert.That(() => InstructionSet.Load(path), Throws.TypeOf<DatasetFormatException>().With.Message.EqualTo($"{path}: no such instruction set file."));
    }

    [TestCase(5, new[] { 1, 2, 3, 4 })]
    [TestCase(12, new[] { 3, 5, 7, 9, 11 })]
    [TestCase(32, new[] { 7, 11, 15, 19, 23, 27, 31 })]
    public void CandidateLayersRunFromAFifthToTheLastInAtMostEightSteps(int layerCount, int[] expected)
    {
        // n/5 .. n-1, stepped by ceil(count / 8) down from the last layer (the paper sweeps from n/5 in steps).
        var first = Math.Max(1, layerCount / 5);
        var count = layerCount - first;
        var step = (count + 7) / 8;
        var independent = Enumerable.Range(0, count).Select(i => layerCount - 1 - i * step).Where(l => l >= first).Reverse().ToArray();
        Assert.That(independent, Is.EqualTo(expected), "the test's own arithmetic");
        Assert.That(InstructionSearch.CandidateLayers(layerCount).Layers, Is.EqualTo(expected));
    }
}
