using LlamaSteer.Chat;
using LlamaSteer.Testing;

namespace LlamaSteer.Host.Tests.Cli;

[TestFixture]
public class GenerateVerbTests
{
    [Test]
    public void GreedyGenerateStreamsTheKnownContinuation()
    {
        var r = CliRunner.Run(["generate", "--model", TestPaths.Model, "--threads", "1", "--prompt", "Once upon a time", "--temperature", "0", "--max-tokens", "30"]);
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        // Recorded fact from models/README.md.
        Assert.That(r.Stdout, Does.StartWith("Once upon a time, there was a little girl named Lily. She loved to play outside in the park."));
    }

    [Test]
    public void DefaultModelIsUsedWhenNoneIsGiven()
    {
        var r = CliRunner.Run(["generate", "--prompt", "Once upon a time", "--temperature", "0", "--max-tokens", "8"],
            new Dictionary<string, string?> { ["LLAMASTEER_MODEL"] = TestPaths.Model });
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        Assert.That(r.Stdout, Does.StartWith("Once upon a time, there was a little girl"));
    }

    [Test]
    public void StatsReportSpeed()
    {
        var r = CliRunner.Run(["generate", "-m", TestPaths.Model, "-t", "1", "-p", "Once upon a time", "--temp", "0", "-n", "16", "--stats"]);
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        Assert.That(r.Stderr, Does.Match(@"generated 16 tokens \(\d+(\.\d)? tok/s\)"));
    }

    /// <summary>--chat wraps the prompt in the template as a user message, parses its special tokens, and prints only the reply.</summary>
    [Test]
    public void ChatWithABuiltInTemplateAnswersTheFormattedConversation()
    {
        const string prompt = "Tell me a story";
        var chat = CliRunner.Run(["generate", "-m", TestPaths.Model, "-t", "1", "-p", prompt, "--chat", "--chat-template", "chatml", "--temp", "0", "-n", "12"]);
        var plain = CliRunner.Run(["generate", "-m", TestPaths.Model, "-t", "1", "-p", prompt, "--temp", "0", "-n", "12"]);
        Assert.That(chat.ExitCode, Is.Zero, chat.Stderr);
        var formatted = ChatFormatter.Format(SharedModel.Model, [new ChatMessage("user", prompt)], "chatml");
        Assert.That(formatted, Does.Contain("<|im_start|>user\n" + prompt), "the template as the engine formats it");
        Assert.That(chat.Stdout, Is.EqualTo(SharedModel.Greedy(formatted, 12, parseSpecialTokens: true) + "\n"));
        Assert.That(chat.Stdout, Does.Not.Contain(prompt), "the conversation is not echoed");
        Assert.That(plain.Stdout, Does.StartWith(prompt));
        Assert.That(chat.Stdout, Is.Not.EqualTo(plain.Stdout[prompt.Length..]), "the template changed nothing");
    }

    [Test]
    public void ChatWithoutATemplateSaysSo()
    {
        var r = CliRunner.Run(["generate", "-m", TestPaths.Model, "-t", "1", "-p", "Tell me a story", "--chat"]);
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Does.Contain("has no chat template"));
    }

    [Test]
    public void InfoPrintsTheModelShape()
    {
        var r = CliRunner.Run(["info", "-m", TestPaths.Model, "-t", "1"]);
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        Assert.That(r.Stdout, Does.Match(@"architecture\s+llama"));
        Assert.That(r.Stdout, Does.Match(@"layers\s+5"));
        Assert.That(r.Stdout, Does.Match(@"n_embd\s+64"));
        Assert.That(r.Stdout, Does.Match(@"device\s+CPU"));
        Assert.That(r.Stdout, Does.Contain("0.5.0"));
    }
}
