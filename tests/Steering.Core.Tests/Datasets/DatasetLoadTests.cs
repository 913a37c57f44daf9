using System.Security.Cryptography;
using System.Text;
using LlamaSteer.Datasets;

namespace LlamaSteer.Core.Tests.Datasets;

[TestFixture]
public class DatasetLoadTests
{
    private DatasetFiles _files = null!;

    [SetUp] public void CreateFolder() => _files = new DatasetFiles();
    [TearDown] public void DeleteFolder() => _files.Dispose();

    [Test]
    public void PlainPairsAreWholeTexts()
    {
        var path = _files.Lines(
            """{"positive": "Lily was happy.", "negative": "Lily was sad."}""",
            """{"negative": "Tim ran.", "positive": "Lily ran."}""");
        var ds = ContrastiveDataset.Load(path);
        Assert.That(ds.Kind, Is.EqualTo(DatasetKind.Contrastive));
        Assert.That(ds.Instruction, Is.Null);
        Assert.That(ds.Pairs, Is.EqualTo(new[]
        {
            new ContrastivePair(null, "Lily was happy.", "Lily was sad.", 1),
            new ContrastivePair(null, "Lily ran.", "Tim ran.", 2),
        }));
    }

    [Test]
    public void PromptPairsKeepTheirPromptAndCompletionsAsWritten()
    {
        var path = _files.Lines("""{"prompt": "Once upon a time, there was a", "positive": " happy girl.", "negative": " sad girl."}""");
        var pair = ContrastiveDataset.Load(path).Pairs.Single();
        Assert.That(pair, Is.EqualTo(new ContrastivePair("Once upon a time, there was a", " happy girl.", " sad girl.", 1)));
    }

    [Test]
    public void PlainAndPromptPairsMayShareAFile()
    {
        var path = _files.Lines(
            """{"positive": "a", "negative": "b"}""",
            """{"prompt": "p", "positive": "a", "negative": "b"}""");
        Assert.That(ContrastiveDataset.Load(path).Pairs.Select(p => p.Prompt), Is.EqualTo(new[] { null, "p" }));
    }

    [Test]
    public void InstructionLinesPairThePromptWithAndWithoutTheInstruction()
    {
        var path = _files.Lines(
            """{"instruction": "Answer in lowercase.", "prompt": "Tell me about the sea."}""",
            """{"prompt": "Name three colours.", "instruction": "Answer in lowercase."}""");
        var ds = ContrastiveDataset.Load(path);
        Assert.That(ds.Kind, Is.EqualTo(DatasetKind.Instruction));
        Assert.That(ds.Instruction, Is.EqualTo("Answer in lowercase."));
        var sep = ContrastiveDataset.InstructionSeparator;
        Assert.That(ds.Pairs, Is.EqualTo(new[]
        {
            new ContrastivePair(null, "Tell me about the sea." + sep + "Answer in lowercase.", "Tell me about the sea.", 1),
            new ContrastivePair(null, "Name three colours." + sep + "Answer in lowercase.", "Name three colours.", 2),
        }));
    }

    [Test]
    public void InstructionIsNullWhenLinesDiffer()
    {
        var path = _files.Lines(
            """{"instruction": "Answer in lowercase.", "prompt": "Tell me about the sea."}""",
            """{"instruction": "Use only small letters.", "prompt": "Name three colours."}""");
        var ds = ContrastiveDataset.Load(path);
        Assert.That(ds.Instruction, Is.Null);
        Assert.That(ds.Pairs[1].Positive, Does.EndWith("Use only small letters."));
    }

    [Test]
    public void CommentsAndBlankLinesAreSkippedButCounted()
    {
        var path = _files.Write(
            "// a comment\r\n" +
            "# another comment\r\n" +
            "\r\n" +
            "   \t\r\n" +
            "  // an indented comment\r\n" +
            """  {"positive": "a", "negative": "b"}  """ + "\r\n" +
            "\r\n" +
            """{"positive": "c", "negative": "d"}""");
        var ds = ContrastiveDataset.Load(path);
        Assert.That(ds.Pairs.Select(p => p.LineNumber), Is.EqualTo(new[] { 6, 8 }));
        Assert.That(ds.Pairs.Select(p => p.Positive), Is.EqualTo(new[] { "a", "c" }));
    }

    [Test]
    public void AByteOrderMarkIsAccepted()
    {
        var path = _files.WriteBytes([.. Encoding.UTF8.Preamble, .. """{"positive": "é", "negative": "ü"}"""u8.ToArray()]);
        Assert.That(ContrastiveDataset.Load(path).Pairs.Single().Positive, Is.EqualTo("é"));
    }

    [Test]
    public void NameAndSourcePathComeFromTheFile()
    {
        var path = _files.Lines("""{"positive": "a", "negative": "b"}""");
        var ds = ContrastiveDataset.Load(path);
        Assert.That(ds.Name, Is.EqualTo(Path.GetFileNameWithoutExtension(path)));
        Assert.That(ds.SourcePath, Is.EqualTo(Path.GetFullPath(path)));
    }

    [Test]
    public void Sha256IsThatOfTheFileBytesStableAndChangesWithContent()
    {
        var content = """{"positive": "Lily was happy.", "negative": "Lily was sad."}""" + "\n";
        var a = ContrastiveDataset.Load(_files.Write(content));
        var b = ContrastiveDataset.Load(_files.Write(content));
        var c = ContrastiveDataset.Load(_files.Write(content.Replace("sad", "glum")));
        Assert.That(a.Sha256, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)))));
        Assert.That(b.Sha256, Is.EqualTo(a.Sha256));
        Assert.That(c.Sha256, Is.Not.EqualTo(a.Sha256));
        // A comment is part of the file, so it changes the hash too.
        Assert.That(ContrastiveDataset.Load(_files.Write("// note\n" + content)).Sha256, Is.Not.EqualTo(a.Sha256));
    }

    [Test]
    public void FromInstructionBuildsOnePairPerBasePrompt()
    {
        var ds = ContrastiveDataset.FromInstruction("Answer in lowercase.", ["Tell me about the sea.", "Name three colours."], "lowercase");
        Assert.That(ds.Name, Is.EqualTo("lowercase"));
        Assert.That(ds.SourcePath, Is.Null);
        Assert.That(ds.Kind, Is.EqualTo(DatasetKind.Instruction));
        Assert.That(ds.Instruction, Is.EqualTo("Answer in lowercase."));
        Assert.That(ds.Pairs.Select(p => p.LineNumber), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(ds.Pairs[1], Is.EqualTo(new ContrastivePair(null, "Name three colours." + ContrastiveDataset.InstructionSeparator + "Answer in lowercase.", "Name three colours.", 2)));
    }

    [Test]
    public void FromInstructionHashesTheEquivalentJsonl()
    {
        string[] prompts = ["Tell me about the \"sea\".", "Nenne drei Farben: grün, blau, weiß."];
        var generated = ContrastiveDataset.FromInstruction("Answer in lowercase.", prompts, "lowercase");
        // The documented form: compact JSON, instruction first, a newline after every line.
        var file = string.Concat(prompts.Select(p => $$"""{"instruction":"Answer in lowercase.","prompt":"{{p.Replace("\"", "\\\"")}}"}""" + "\n"));
        var loaded = ContrastiveDataset.Load(_files.Write(file));
        Assert.That(loaded.Pairs.Select(p => (p.Positive, p.Negative)), Is.EqualTo(generated.Pairs.Select(p => (p.Positive, p.Negative))));
        Assert.That(generated.Sha256, Is.EqualTo(loaded.Sha256));
        Assert.That(ContrastiveDataset.FromInstruction("Answer in capitals.", prompts, "lowercase").Sha256, Is.Not.EqualTo(generated.Sha256));
    }

    [Test]
    public void FromInstructionRejectsEmptyInputs()
    {
        Assert.Throws<ArgumentException>(() => ContrastiveDataset.FromInstruction(" ", ["a"], "n"));
        Assert.Throws<ArgumentException>(() => ContrastiveDataset.FromInstruction("i", [], "n"));
        var ex = Assert.Throws<ArgumentException>(() => ContrastiveDataset.FromInstruction("i", ["a", ""], "n"));
        Assert.That(ex!.Message, Does.Contain("Base prompt 2 is empty"));
    }

    [Test]
    public void PromptListSkipsBlankAndCommentLinesAndTrims()
    {
        var path = _files.Write("# base prompts\n\n  Tell me about the sea.  \r\nName three colours.\n\n");
        Assert.That(ContrastiveDataset.LoadPromptList(path), Is.EqualTo(new[] { "Tell me about the sea.", "Name three colours." }));
    }

    [Test]
    public void PromptListWithoutPromptsOrFileIsAnError()
    {
        var empty = _files.Write("# nothing here\n\n");
        var ex = Assert.Throws<DatasetFormatException>(() => ContrastiveDataset.LoadPromptList(empty));
        Assert.That(ex!.Message, Is.EqualTo($"{empty}: no prompts (the file is empty or holds only comments and blank lines)."));
        var missing = empty + ".missing";
        Assert.That(Assert.Throws<DatasetFormatException>(() => ContrastiveDataset.LoadPromptList(missing))!.Message, Is.EqualTo($"{missing}: no such file."));
    }
}
