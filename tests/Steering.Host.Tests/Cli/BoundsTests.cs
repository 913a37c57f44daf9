using LlamaSteer.Testing;

namespace LlamaSteer.Host.Tests.Cli;

/// <summary>Inputs that cost memory or time are bounded before anything is allocated or run, with one line that names the bound and the way past it.</summary>
[TestFixture]
public class BoundsTests
{
    private static ProcessResult Generate(params string[] extra) => CliRunner.Run(["generate", "-m", TestPaths.Model, "-t", "1", "-p", "Once", "-n", "2", .. extra]);

    private static void AssertOneLine(ProcessResult r, int exitCode, string mentions)
    {
        Assert.That(r.ExitCode, Is.EqualTo(exitCode), r.Stderr);
        Assert.That(r.Stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1), r.Stderr);
        Assert.That(r.Stderr, Does.StartWith("llamasteer: ").And.Contain(mentions));
    }

    [Test]
    public void AContextBeyondTheTrainedOneNeedsTheOverride() =>
        AssertOneLine(Generate("--context", "4096"), 2, "--context 4,096 is longer than the 2,048 tokens the model was trained on (pass --context-beyond-trained to insist)");

    [Test]
    public void WithTheOverrideALongerContextRuns() => Assert.That(Generate("--context", "4096", "--context-beyond-trained").ExitCode, Is.Zero);

    [Test]
    public void AContextWhoseKvCacheDoesNotFitInMemoryIsRefusedBeforeAllocating()
    {
        // stories260K keeps 2 x 5 layers x 32 KV values per token in F16: 640 bytes a token, so 400 million tokens need 238 GiB.
        var r = Generate("--context", "400000000", "--context-beyond-trained");
        AssertOneLine(r, 1, "A context of 400,000,000 tokens needs a KV cache of 238.4 GiB but only");
    }

    [Test]
    public void ThreadsBeyondCoresNeedTheOverride() =>
        AssertOneLine(CliRunner.Run(["generate", "-m", TestPaths.Model, "-p", "Once", "--threads", "100000"]), 2, $"--threads 100000 is more than the {Environment.ProcessorCount} cores of this machine");

    [Test]
    public void EvalSamplesAreBoundedBeforeTheModelLoads() =>
        AssertOneLine(CliRunner.Run(["eval", "-m", TestPaths.Model, "--dataset", "tinystories-happy-sad", "--samples", "100000000"]), 2, "--samples must be from 0 to 10,000");

    [Test]
    public void EvalRefusesAPromptLongerThanTheContextAsGenerateDoes()
    {
        var prompt = string.Join(" ", Enumerable.Repeat("Once upon a time there was a little girl.", 300));
        AssertOneLine(CliRunner.Run(["eval", "-m", TestPaths.Model, "-t", "1", "--dataset", "tinystories-happy-sad", "--layers", "3", "--strengths", "1", "--samples", "1", "-p", prompt]),
            1, "does not fit the model's context of 2048 tokens");
    }

    [Test]
    public void AContextRoundedUpByLlamaCppIsSaid()
    {
        var r = Generate("-c", "32");
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        Assert.That(r.Stderr.TrimEnd(), Is.EqualTo("llamasteer: note: llama.cpp sizes the context in steps of 256 tokens: --context 32 holds 256 tokens."));
    }
}
