using LlamaSteer.Datasets;
using LlamaSteer.Errors;

namespace LlamaSteer.Core.Tests.Datasets;

[TestFixture]
public class DatasetErrorTests
{
    private const string Good = """{"positive": "Lily ran.", "negative": "Tim ran."}""";

    private DatasetFiles _files = null!;

    [SetUp] public void CreateFolder() => _files = new DatasetFiles();
    [TearDown] public void DeleteFolder() => _files.Dispose();

    /// <summary>The bad line goes on line 4, after a comment, a blank line and a good pair.</summary>
    [TestCase("""{"positive": "a", "negative": }""", "invalid JSON at column 31: ")]
    [TestCase("""{"positive": "a", "negative": "b"} {}""", "invalid JSON")]
    [TestCase("""{"positive": "a", "negative": "b",}""", "invalid JSON")]
    [TestCase("""["Lily ran.", "Tim ran."]""", "expected a JSON object, found an array.")]
    [TestCase("\"Lily ran.\"", "expected a JSON object, found a string.")]
    [TestCase("""{"positive": "Lily ran."}""", "missing field 'negative'")]
    [TestCase("""{"prompt": "Once"}""", "missing fields 'positive' and 'negative'")]
    [TestCase("""{"positive": 1, "negative": "b"}""", "the field 'positive' must be a string, found a number.")]
    [TestCase("""{"positive": "a", "negative": null}""", "the field 'negative' must be a string, found null.")]
    [TestCase("""{"prompt": ["a"], "positive": "a", "negative": "b"}""", "the field 'prompt' must be a string, found an array.")]
    [TestCase("""{"positive": "", "negative": "b"}""", "the field 'positive' is empty.")]
    [TestCase("""{"positive": "a", "negative": "   "}""", "the field 'negative' is empty.")]
    [TestCase("""{"prompt": "", "positive": "a", "negative": "b"}""", "the field 'prompt' is empty.")]
    [TestCase("""{"positive": "a", "negative": "b", "label": 1}""", "unknown field 'label'; known fields are prompt, positive, negative and instruction.")]
    [TestCase("""{"Positive": "a", "negative": "b", "note": "x"}""", "unknown fields 'Positive', 'note'")]
    [TestCase("""{"positive": "a", "positive": "c", "negative": "b"}""", "the field 'positive' appears twice.")]
    [TestCase("""{"positive": "Lily ran.", "negative": "Lily ran."}""", "positive and negative are the same text.")]
    [TestCase("""{"prompt": "Once", "positive": " upon", "negative": " upon"}""", "positive and negative are the same text.")]
    [TestCase("""{"instruction": "Be brief.", "prompt": "Tell me a story."}""", "an instruction line in a dataset of contrastive pairs (line 3 set the form)")]
    public void ABadLineIsAnErrorNamingFileAndLine(string badLine, string problem)
    {
        var path = _files.Lines("// comment", "", Good, badLine, Good);
        var ex = Assert.Throws<DatasetFormatException>(() => ContrastiveDataset.Load(path));
        Assert.That(ex!.Message, Does.StartWith($"{path}: line 4: "));
        Assert.That(ex.Message, Does.Contain(problem));
        Assert.That(ex.LineNumber, Is.EqualTo(4));
        Assert.That(ex.SourceName, Is.EqualTo(path));
        Assert.That(ex, Is.InstanceOf<LlamaSteerException>());
    }

    [TestCase("""{"positive": "a", "negative": "b"}""", "a contrastive pair in a dataset of instruction lines (line 1 set the form)")]
    [TestCase("""{"instruction": "Be brief.", "prompt": "Hi.", "positive": "a"}""", "'instruction' cannot be combined with 'positive'")]
    [TestCase("""{"instruction": "Be brief."}""", "missing field 'prompt'")]
    [TestCase("""{"instruction": "", "prompt": "Hi."}""", "the field 'instruction' is empty.")]
    public void ABadLineInAnInstructionDatasetIsAnError(string badLine, string problem)
    {
        var path = _files.Lines("""{"instruction": "Be brief.", "prompt": "Tell me a story."}""", badLine);
        var ex = Assert.Throws<DatasetFormatException>(() => ContrastiveDataset.Load(path));
        Assert.That(ex!.Message, Does.StartWith($"{path}: line 2: "));
        Assert.That(ex.Message, Does.Contain(problem));
    }

    [Test]
    public void AMissingFileIsAnError()
    {
        var path = Path.Combine(Path.GetTempPath(), "llamasteer-tests", "no-such-folder", "set.jsonl");
        var ex = Assert.Throws<DatasetFormatException>(() => ContrastiveDataset.Load(path));
        Assert.That(ex!.Message, Is.EqualTo($"{path}: no such file."));
        Assert.That(ex.LineNumber, Is.Null);
    }

    [TestCase("")]
    [TestCase("\n\n   \n")]
    [TestCase("// only\n# comments\n")]
    public void AFileWithoutPairsIsAnError(string content)
    {
        var path = _files.Write(content);
        var ex = Assert.Throws<DatasetFormatException>(() => ContrastiveDataset.Load(path));
        Assert.That(ex!.Message, Is.EqualTo($"{path}: no pairs (the file is empty or holds only comments and blank lines)."));
    }

    [Test]
    public void ALineThatIsNotUtf8IsAnError()
    {
        var path = _files.WriteBytes([.. System.Text.Encoding.UTF8.GetBytes(Good + "\n"), .. "{\"positive\": \""u8.ToArray(), 0xC3, 0x28, .. "\", \"negative\": \"b\"}\n"u8.ToArray()]);
        var ex = Assert.Throws<DatasetFormatException>(() => ContrastiveDataset.Load(path));
        Assert.That(ex!.Message, Is.EqualTo($"{path}: line 2: not UTF-8 text."));
    }

    [Test]
    public void TheFirstBadLineIsReported()
    {
        var path = _files.Lines(Good, "{", "[]");
        Assert.That(Assert.Throws<DatasetFormatException>(() => ContrastiveDataset.Load(path))!.LineNumber, Is.EqualTo(2));
    }
}
