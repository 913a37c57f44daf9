using LlamaSteer.Prompts;
using LlamaSteer.Testing;

namespace LlamaSteer.Host.Tests.Cli;

/// <summary>
/// <c>llamasteer tokens</c>, <c>generate --token</c> and <c>eval --token/--instruction</c> on the real model, and the bad
/// input of the steering-token issue: one line, the right exit code, nothing written or overwritten.
/// </summary>
[TestFixture]
public class TokensVerbTests
{
    private string _dir = null!;
    private string _tokens = null!;
    private string _prompts = null!;
    private ProcessResult _train = null!;

    private static ProcessResult Run(params string[] args) => CliRunner.Run([.. args, "-m", TestPaths.Model, "-t", "1"], timeoutSeconds: 300);

    private static void AssertCleanFailure(ProcessResult r, int exitCode, string mentions)
    {
        Assert.That(r.ExitCode, Is.EqualTo(exitCode), $"stdout: {r.Stdout}\nstderr: {r.Stderr}");
        Assert.That(r.Stderr, Does.Contain(mentions));
        Assert.That(r.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1), "one line");
    }

    private ProcessResult Train(string name, string instruction, string output) =>
        Run("tokens", "train", "--name", name, "--instruction", instruction, "--prompts", _prompts, "--samples", "1", "-n", "8", "--epochs", "1", "-o", output);

    [OneTimeSetUp]
    public void TrainOne()
    {
        _dir = TestPaths.NewTempDirectory();
        _prompts = Path.Combine(_dir, "prompts.txt");
        File.WriteAllLines(_prompts, ["Once upon a time", "One day,", "There was a little", "At the park,"]);
        _tokens = Path.Combine(_dir, "tokens.gguf");
        _train = Train("happy", "Write a happy story.", _tokens);
    }

    [OneTimeTearDown]
    public void Clean() => Directory.Delete(_dir, true);

    [Test]
    public void TrainWritesATokenFileAndReportsTheHeldOutKl()
    {
        Assert.That(_train.ExitCode, Is.Zero, _train.Stderr);
        Assert.That(_train.Stdout, Does.Match(@"happy: held-out KL to the teacher \d+\.\d+ -> \d+\.\d+ nats/token"));
        var file = SteeringTokenFile.Load(_tokens);
        Assert.That(file.Get("happy").Instruction, Is.EqualTo("Write a happy story."));
        Assert.That(file.ModelFingerprint, Is.EqualTo(SteeringTokenFile.Fingerprint(TestPaths.Model)));
    }

    [Test]
    public void GenerateAndEvalTakeTheToken()
    {
        var generated = Run("generate", "--token", _tokens + ":happy", "-p", "Once upon a time", "--temperature", "0", "-n", "12");
        Assert.That(generated.ExitCode, Is.Zero, generated.Stderr);
        Assert.That(generated.Stdout, Does.StartWith("Once upon a time"));

        var eval = Run("eval", "--token", _tokens + ":happy", "--instruction", "Write a happy story.", "--prompt", "Once upon a time",
            "--samples", "1", "-n", "6", "--keywords", "happy");
        Assert.That(eval.ExitCode, Is.Zero, eval.Stderr);
        Assert.That(eval.Stdout, Does.Contain("<happy>").And.Contain("\"Write a happy story.\"").And.Contain("(unsteered)"));
    }

    [Test]
    public void EmptyInstructionOrPromptFile()
    {
        AssertCleanFailure(Train("sad", " ", Path.Combine(_dir, "x.gguf")), 2, "the instruction is empty");
        var empty = Path.Combine(_dir, "empty.txt");
        File.WriteAllText(empty, "# nothing\n");
        AssertCleanFailure(Run("tokens", "train", "--name", "sad", "--instruction", "Write a sad story.", "--prompts", empty, "-o", Path.Combine(_dir, "x.gguf")), 1, "no prompts");
        Assert.That(File.Exists(Path.Combine(_dir, "x.gguf")), Is.False);
    }

    [Test]
    public void TokenFileForAnotherModel()
    {
        var other = Path.Combine(_dir, "other.gguf");
        new SteeringTokenFile(new string('a', 64), 64, [new SteeringToken("happy", new float[64], "x", "")]).Save(other);
        AssertCleanFailure(Run("generate", "--token", other + ":happy", "-p", "Once"), 1, "made for another model");
    }

    [Test]
    public void UnknownOrRepeatedTokenName()
    {
        AssertCleanFailure(Run("generate", "--token", _tokens + ":nope", "-p", "Once"), 2, "has no token 'nope' (it has happy)");
        AssertCleanFailure(Run("generate", "--token", _tokens + ":happy", "--token", _tokens + ":happy", "-p", "Once"), 2, "the token 'happy' is given twice");
        var before = File.ReadAllBytes(_tokens);
        AssertCleanFailure(Train("happy", "Write a sad story.", _tokens), 2, "the token name 'happy' repeats");
        Assert.That(File.ReadAllBytes(_tokens), Is.EqualTo(before), "the saved file is untouched");
    }

    [Test]
    public void ComposeWithoutACompositionTokenOrMorePiecesThanTheContext()
    {
        AssertCleanFailure(Run("generate", "--token", _tokens + ":happy", "--compose", "-p", "Once"), 2, "--compose needs at least two");
        AssertCleanFailure(Run("generate", "--token", _tokens + ":happy", "-p", string.Join(" ", Enumerable.Repeat("Once upon a time", 64)), "--context", "256"), 1,
            "positions (text and steering tokens) but the context holds 256");
    }
}
