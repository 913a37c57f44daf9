using LlamaSteer.Chat;
using LlamaSteer.Datasets;
using LlamaSteer.Errors;
using LlamaSteer.Models;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Datasets;

[TestFixture]
public class DatasetTokenizerTests
{
    private LlamaModel _model = null!;
    private DatasetFiles _files = null!;

    [OneTimeSetUp] public void Load() => _model = SharedModel.Model;
    [SetUp] public void CreateFolder() => _files = new DatasetFiles();
    [TearDown] public void DeleteFolder() => _files.Dispose();

    private ContrastiveDataset Dataset(params string[] lines) => ContrastiveDataset.Load(_files.Lines(lines));

    /// <summary>The text of an item's completion tokens, without the tokenizer's leading space.</summary>
    private string CompletionText(LlamaSteer.Capture.CaptureItem item) => _model.Detokenize(item.Tokens.AsSpan(item.CompletionStart)).TrimStart();

    [Test]
    public void PlainPairsStartTheirCompletionAfterBos()
    {
        var t = DatasetTokenizer.Tokenize(_model, Dataset("""{"positive": "Lily was happy.", "negative": "Lily was sad."}"""));
        var bos = _model.Tokenize("x").Length - _model.Tokenize("x", addSpecial: false).Length;
        Assert.That(bos, Is.EqualTo(1), "stories260K adds BOS");
        Assert.That(t.Positives.Single().Tokens, Is.EqualTo(_model.Tokenize("Lily was happy.")));
        Assert.That(t.Negatives.Single().Tokens, Is.EqualTo(_model.Tokenize("Lily was sad.")));
        Assert.That(t.Positives.Single().CompletionStart, Is.EqualTo(bos));
        Assert.That(t.Negatives.Single().CompletionStart, Is.EqualTo(bos));
        Assert.That(CompletionText(t.Positives.Single()), Is.EqualTo("Lily was happy."));
    }

    [Test]
    public void PromptPairsStartTheirCompletionAfterThePrompt()
    {
        const string prompt = "Once upon a time, there was a";
        var t = DatasetTokenizer.Tokenize(_model, Dataset($$"""{"prompt": "{{prompt}}", "positive": " happy girl.", "negative": " sad boy."}"""));
        var promptTokens = _model.Tokenize(prompt);
        foreach (var (item, completion) in new[] { (t.Positives[0], " happy girl."), (t.Negatives[0], " sad boy.") })
        {
            Assert.That(item.Tokens, Is.EqualTo(_model.Tokenize(prompt + completion)));
            Assert.That(item.CompletionStart, Is.EqualTo(promptTokens.Length));
            Assert.That(item.Tokens.Take(item.CompletionStart), Is.EqualTo(promptTokens));
            Assert.That(CompletionText(item), Is.EqualTo(completion.TrimStart()));
        }
    }

    [Test]
    public void ATokenThatSpansTheBoundaryCountsAsCompletion()
    {
        // "ti" + "me" tokenize together as " time": the prompt's last token is not a token of the whole text.
        const string prompt = "Once upon a ti";
        var promptTokens = _model.Tokenize(prompt);
        var whole = _model.Tokenize(prompt + "me there was a girl.");
        Assert.That(whole.Take(promptTokens.Length), Is.Not.EqualTo(promptTokens), "the test needs a merge at the boundary");

        var t = DatasetTokenizer.Tokenize(_model, Dataset($$"""{"prompt": "{{prompt}}", "positive": "me there was a girl.", "negative": "me there was a boy."}"""));
        var item = t.Positives[0];
        Assert.That(item.Tokens, Is.EqualTo(whole));
        Assert.That(item.CompletionStart, Is.LessThan(promptTokens.Length));
        Assert.That(item.Tokens.Take(item.CompletionStart), Is.EqualTo(promptTokens.Take(item.CompletionStart)));
        Assert.That(CompletionText(item), Does.EndWith("me there was a girl."));
        Assert.That(_model.Detokenize(item.Tokens.AsSpan(0, item.CompletionStart)).TrimStart(), Is.EqualTo(prompt[..^("ti".Length)].TrimEnd()));
    }

    [Test]
    public void InstructionPairsAreReadAtTheLastToken()
    {
        var ds = ContrastiveDataset.FromInstruction("Answer in lowercase.", ["Tell me about the sea."], "lowercase");
        var t = DatasetTokenizer.Tokenize(_model, ds);
        var pos = t.Positives[0];
        var neg = t.Negatives[0];
        Assert.That(pos.Tokens, Is.EqualTo(_model.Tokenize("Tell me about the sea." + ContrastiveDataset.InstructionSeparator + "Answer in lowercase.")));
        Assert.That(neg.Tokens, Is.EqualTo(_model.Tokenize("Tell me about the sea.")));
        Assert.That(pos.CompletionStart, Is.EqualTo(pos.Tokens.Length - 1));
        Assert.That(neg.CompletionStart, Is.EqualTo(neg.Tokens.Length - 1));
    }

    [Test]
    public void ChatWrapsThePromptAsAUserTurnAndTheCompletionFollowsAsTheAnswer()
    {
        const string question = "What did Lily see?";
        var t = DatasetTokenizer.Tokenize(
            _model,
            Dataset($$"""{"prompt": "{{question}}", "positive": "Arr, a big ship!", "negative": "She saw a big ship."}"""),
            new DatasetTokenizerOptions { Chat = true, ChatTemplate = "chatml" });
        var turn = ChatFormatter.Format(_model, [new ChatMessage("user", question)], "chatml");
        Assert.That(turn, Does.Contain(question).And.EndWith("assistant\n"));
        var item = t.Positives[0];
        Assert.That(item.Tokens, Is.EqualTo(_model.Tokenize(turn + "Arr, a big ship!", parseSpecial: true)));
        Assert.That(CompletionText(item), Is.EqualTo("Arr, a big ship!"));
        Assert.That(CompletionText(t.Negatives[0]), Is.EqualTo("She saw a big ship."));
    }

    [Test]
    public void ChatReadsPlainPairsFromTheUserText()
    {
        var t = DatasetTokenizer.Tokenize(
            _model,
            Dataset("""{"positive": "Lily was happy.", "negative": "Lily was sad."}"""),
            new DatasetTokenizerOptions { Chat = true, ChatTemplate = "chatml" });
        var turn = ChatFormatter.Format(_model, [new ChatMessage("user", "Lily was happy.")], "chatml");
        var item = t.Positives[0];
        Assert.That(item.Tokens, Is.EqualTo(_model.Tokenize(turn, parseSpecial: true)));
        Assert.That(item.CompletionStart, Is.GreaterThan(1));
        Assert.That(CompletionText(item), Does.StartWith("Lily was happy."));
        Assert.That(_model.Detokenize(item.Tokens.AsSpan(0, item.CompletionStart)), Does.Not.Contain("Lily"));
    }

    [Test]
    public void ChatWithoutATemplateOnAModelWithoutOneIsAnError()
    {
        Assume.That(_model.Info.ChatTemplate, Is.Null, "stories260K has no chat template");
        var ds = Dataset("""{"positive": "a", "negative": "b"}""");
        var ex = Assert.Throws<LlamaSteerException>(() => DatasetTokenizer.Tokenize(_model, ds, new DatasetTokenizerOptions { Chat = true }));
        Assert.That(ex!.Message, Does.Contain("no chat template"));
    }

    [Test]
    public void PairsThatTokenizeIdenticallyAreAnError()
    {
        // llama3's template trims each message, so texts that differ only in trailing space become one sequence.
        var ds = Dataset(
            """{"positive": "Lily ran.", "negative": "Tim ran."}""",
            """{"positive": "Lily ran home.", "negative": "Lily ran home. "}""");
        var ex = Assert.Throws<DatasetFormatException>(() => DatasetTokenizer.Tokenize(_model, ds, new DatasetTokenizerOptions { Chat = true, ChatTemplate = "llama3" }));
        Assert.That(ex!.Message, Does.StartWith($"{ds.SourcePath}: line 2: positive and negative tokenize identically"));
        Assert.That(ex.LineNumber, Is.EqualTo(2));
        // Without the template they differ by the trailing space.
        Assert.DoesNotThrow(() => DatasetTokenizer.Tokenize(_model, ds));
    }

    [Test]
    public void ASequenceLongerThanTheLimitIsAnErrorNamingTheLine()
    {
        const string longText = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.";
        var ds = Dataset(
            """{"positive": "Lily ran.", "negative": "Tim ran."}""",
            $$"""{"positive": "Lily ran.", "negative": "{{longText}}"}""");
        var count = _model.Tokenize(longText).Length;
        var limit = count - 1;
        var ex = Assert.Throws<DatasetFormatException>(() => DatasetTokenizer.Tokenize(_model, ds, new DatasetTokenizerOptions { MaxTokens = limit }));
        Assert.That(ex!.Message, Does.StartWith($"{ds.SourcePath}: line 2: {count} tokens, at most {limit} fit (negative side)"));
        Assert.DoesNotThrow(() => DatasetTokenizer.Tokenize(_model, ds, new DatasetTokenizerOptions { MaxTokens = count }));
    }

    [Test]
    public void InMemoryDatasetsAreNamedInErrors()
    {
        var ds = ContrastiveDataset.FromInstruction("Be brief.", ["Tell me a story.", "Tell me a long story about a dog and a cat."], "brief");
        var ex = Assert.Throws<DatasetFormatException>(() => DatasetTokenizer.Tokenize(_model, ds, new DatasetTokenizerOptions { MaxTokens = 8 }));
        Assert.That(ex!.Message, Does.StartWith("brief: line 1: "));
    }

    [Test]
    public void InvalidOptionsAreRejected()
    {
        var ds = Dataset("""{"positive": "a", "negative": "b"}""");
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetTokenizer.Tokenize(_model, ds, new DatasetTokenizerOptions { MaxTokens = 1 }));
        Assert.Throws<ArgumentException>(() => DatasetTokenizer.Tokenize(_model, ds, new DatasetTokenizerOptions { ChatTemplate = "chatml" }));
    }
}
