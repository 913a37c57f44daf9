using LlamaSteer.Datasets;
using LlamaSteer.Evaluation.Instructions;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Evaluation.Instructions;

/// <summary>
/// What an instruction-set file means, field by field: the three-way split in file order, trimming, the set's name, JSON
/// comments and trailing commas, every check an instruction carries; and the exact one-line refusal of each bad file. Pure.
/// </summary>
[TestFixture]
public class InstructionSetContractTests
{
    private string _dir = null!;

    [SetUp] public void MakeDir() => _dir = TestPaths.NewTempDirectory();
    [TearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    private string Write(string json, string name = "my-set.json")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    private const string Six = "\"prompts\": [\"P1\", \"P2\", \"P3\", \"P4\", \"P5\", \"P6\"]";
    private const string OneInstruction = "\"instructions\": [{\"name\": \"a\", \"instruction\": \"Do it.\", \"checks\": [\"json\"]}]";

    [Test]
    public void PromptsSplitInFileOrderAndEverythingIsTrimmed()
    {
        var set = InstructionSet.Load(Write("""
            {
              // comments and trailing commas are allowed
              "prompts": ["  P1 ", "P2", "P3", "P4", "P5", "P6",],
              "split": {"train": 2, "validation": 3},
              "instructions": [
                {"name": " short ", "instruction": "  Answer in few words.  ", "checks": ["max-words:5", "min-words:1"]},
                {"name": "dog", "instruction": "Mention a dog.", "checks": ["any-of:dog,puppy"]},
              ],
            }
            """));
        Assert.Multiple(() =>
        {
            Assert.That(set.Name, Is.EqualTo("my-set"));
            Assert.That(set.Train, Is.EqualTo(new[] { "P1", "P2" }));
            Assert.That(set.Validation, Is.EqualTo(new[] { "P3", "P4", "P5" }));
            Assert.That(set.Test, Is.EqualTo(new[] { "P6" }));
            Assert.That(set.Instructions.Select(i => (i.Name, i.Text)), Is.EqualTo(new[] { ("short", "Answer in few words."), ("dog", "Mention a dog.") }));
            Assert.That(set["short"].Checks, Has.Count.EqualTo(2));
        });
        var shortly = set["short"];
        Assert.That(shortly.IsFollowedBy("Yes, I will."), Is.True);
        Assert.That(shortly.IsFollowedBy("This answer has far more than five words in it."), Is.False, "the first check fails");
        Assert.That(shortly.IsFollowedBy(""), Is.False, "the second check fails: every check must pass");
        Assert.That(set["dog"].WrittenInto("Tell a story."), Is.EqualTo("Tell a story.\nMention a dog."));
    }

    [Test]
    public void AnUnknownInstructionIsRefusedListingTheSetsOwn()
    {
        var set = InstructionSet.Load(Write("{" + Six + ", \"split\": {\"train\": 1, \"validation\": 1}, \"instructions\": [" +
            "{\"name\": \"a\", \"instruction\": \"A.\", \"checks\": [\"json\"]}, {\"name\": \"b\", \"instruction\": \"B.\", \"checks\": [\"json\"]}]}"));
        Assert.That(() => set["c"], Throws.ArgumentException.With.Message.EqualTo("The instruction set my-set has no instruction 'c'; it has a, b."));
    }

    private static IEnumerable<TestCaseData> BadSets()
    {
        const string split = "\"split\": {\"train\": 1, \"validation\": 1}";
        TestCaseData Case(string json, string problem, string name) => new TestCaseData(json, problem).SetArgDisplayNames(name);
        yield return Case("[1]", "the file must hold one JSON object with prompts, split and instructions.", "not an object");
        yield return Case("{" + split + ", " + OneInstruction + "}", "'prompts' is missing or empty.", "no prompts");
        yield return Case("{\"prompts\": [], " + split + ", " + OneInstruction + "}", "'prompts' is missing or empty.", "empty prompts");
        yield return Case("{\"prompts\": \"P1\", " + split + ", " + OneInstruction + "}", "'prompts' is missing or empty.", "prompts not a list");
        yield return Case("{\"prompts\": [\"P1\", 2, \"P3\"], " + split + ", " + OneInstruction + "}", "'prompts' holds an empty or non-string entry.", "a number prompt");
        yield return Case("{\"prompts\": [\"P1\", \"  \", \"P3\"], " + split + ", " + OneInstruction + "}", "'prompts' holds an empty or non-string entry.", "a blank prompt");
        yield return Case("{" + Six + ", \"split\": [1, 1], " + OneInstruction + "}",
            "'split' is missing: give {\"train\": N, \"validation\": M}; the remaining prompts are the test split.", "split not an object");
        yield return Case("{" + Six + ", \"split\": {\"validation\": 1}, " + OneInstruction + "}", "'split.train' must be a whole number of prompts.", "no train count");
        yield return Case("{" + Six + ", \"split\": {\"train\": -1, \"validation\": 1}, " + OneInstruction + "}", "'split.train' must be a whole number of prompts.", "negative train");
        yield return Case("{" + Six + ", \"split\": {\"train\": 1.5, \"validation\": 1}, " + OneInstruction + "}", "'split.train' must be a whole number of prompts.", "fractional train");
        yield return Case("{" + Six + ", \"split\": {\"train\": \"2\", \"validation\": 1}, " + OneInstruction + "}", "'split.train' must be a whole number of prompts.", "train as text");
        yield return Case("{" + Six + ", \"split\": {\"train\": 1, \"validation\": -2}, " + OneInstruction + "}", "'split.validation' must be a whole number of prompts.", "negative validation");
        yield return Case("{" + Six + ", \"split\": {\"train\": 0, \"validation\": 1}, " + OneInstruction + "}",
            "the split leaves no training prompts ('split.train' is 0); the instruction vectors are extracted from them.", "train 0");
        yield return Case("{" + Six + ", \"split\": {\"train\": 1, \"validation\": 0}, " + OneInstruction + "}",
            "the split leaves no validation prompts ('split.validation' is 0); the layer is picked on them.", "validation 0");
        yield return Case("{" + Six + ", \"split\": {\"train\": 3, \"validation\": 3}, " + OneInstruction + "}",
            "the split leaves no test prompts: train 3 + validation 3 of 6 prompts; the results are reported on the rest.", "no test prompts");
        yield return Case("{" + Six + ", \"split\": {\"train\": 4, \"validation\": 3}, " + OneInstruction + "}",
            "the split leaves no test prompts: train 4 + validation 3 of 6 prompts; the results are reported on the rest.", "more than all prompts");
        yield return Case("{" + Six + ", \"split\": {\"train\": 2000000000, \"validation\": 2000000000}, " + OneInstruction + "}",
            "the split leaves no test prompts: train 2000000000 + validation 2000000000 of 6 prompts; the results are reported on the rest.", "counts whose sum overflows");
        yield return Case("{" + Six + ", " + split + "}", "'instructions' is missing or empty.", "no instructions");
        yield return Case("{" + Six + ", " + split + ", \"instructions\": {\"name\": \"a\"}}", "'instructions' is missing or empty.", "instructions not a list");
        yield return Case("{" + Six + ", " + split + ", \"instructions\": [{\"name\": \"a\", \"instruction\": \"A.\", \"checks\": [\"json\"]}, \"b\"]}",
            "instruction 2 is not an object.", "a string instruction");
        yield return Case("{" + Six + ", " + split + ", \"instructions\": [{\"instruction\": \"A.\", \"checks\": [\"json\"]}]}",
            "instruction 1 has no 'name' text.", "no name");
        yield return Case("{" + Six + ", " + split + ", \"instructions\": [{\"name\": \" \", \"instruction\": \"A.\", \"checks\": [\"json\"]}]}",
            "instruction 1 has no 'name' text.", "blank name");
        yield return Case("{" + Six + ", " + split + ", \"instructions\": [{\"name\": \"a\", \"instruction\": 5, \"checks\": [\"json\"]}]}",
            "instruction 'a' has no 'instruction' text.", "instruction not text");
        yield return Case("{" + Six + ", " + split + ", \"instructions\": [{\"name\": \"a\", \"instruction\": \"A.\", \"checks\": \"json\"}]}",
            "instruction 'a' has no checker: give \"checks\": [\"SPEC\", ...] (" + LlamaSteer.Evaluation.Checkers.TextChecks.Known + ").", "checks not a list");
        yield return Case("{" + Six + ", " + split + ", \"instructions\": [{\"name\": \"a\", \"instruction\": \"A.\", \"checks\": [\"json\", 3]}]}",
            "instruction 'a': every check must be a string.", "a number check");
        yield return Case("{" + Six + ", " + split + ", \"instructions\": [{\"name\": \"a\", \"instruction\": \"A.\", \"checks\": [\"json\"]}, {\"name\": \"a\", \"instruction\": \"B.\", \"checks\": [\"json\"]}]}",
            "two instructions are called 'a'.", "repeated name");
    }

    [TestCaseSource(nameof(BadSets))]
    public void EachBadFileGetsItsOwnOneLineRefusal(string json, string problem)
    {
        var path = Write(json);
        var e = Assert.Throws<DatasetFormatException>(() => InstructionSet.Load(path))!;
        Assert.That(e.Message, Is.EqualTo($"{path}: {problem}"));
    }

    [Test]
    public void InvalidJsonNamesItsLine()
    {
        var path = Write("{\n  \"prompts\": [\"P1\",\n  oops\n}");
        var e = Assert.Throws<DatasetFormatException>(() => InstructionSet.Load(path))!;
        Assert.That(e.LineNumber, Is.EqualTo(3), "1-based: the bad token is on the third line");
        Assert.That(e.Message, Does.StartWith($"{path}: line 3: not valid JSON: ").And.EndWith(".").And.Not.Contain("\n"));
    }

    [Test]
    public void AFolderInsteadOfAFileCannotBeRead()
    {
        var e = Assert.Throws<DatasetFormatException>(() => InstructionSet.Load(_dir))!;
        Assert.That(e.Message, Does.StartWith($"{_dir}: cannot be read: "));
    }

    [TestCase("")]
    [TestCase("  ")]
    public void ABlankPathIsRefused(string path) =>
        Assert.That(() => InstructionSet.Load(path), Throws.ArgumentException);
}
