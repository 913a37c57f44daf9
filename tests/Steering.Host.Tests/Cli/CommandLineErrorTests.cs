using LlamaSteer.Testing;

namespace LlamaSteer.Host.Tests.Cli;

/// <summary>
/// Every parse and validation error System.CommandLine finds is one line on stderr with a hint to the verb's
/// --help, exit code 2, nothing on stdout, and no help text dumped.
/// </summary>
[TestFixture]
public class CommandLineErrorTests
{
    private static readonly string Model = TestPaths.Model;

    private static IEnumerable<TestCaseData> BadCommandLines()
    {
        TestCaseData Case(string name, string mentions, string help, params string[] args) => new TestCaseData(args, mentions, help).SetName($"OneLineExit2({name})");
        yield return Case("max-tokens-not-a-number", "Cannot parse argument 'abc' for option '--max-tokens'", "llamasteer generate --help", "generate", "-m", Model, "-p", "x", "-n", "abc");
        yield return Case("threads-0", "--threads must be at least 1", "llamasteer generate --help", "generate", "-m", Model, "-p", "x", "--threads", "0");
        yield return Case("threads-beyond-cores", "more than the", "llamasteer generate --help", "generate", "-m", Model, "-p", "x", "--threads", "100000");
        yield return Case("missing-prompt", "Option '--prompt' is required", "llamasteer generate --help", "generate", "-m", Model);
        yield return Case("unknown-verb", "Unrecognized command or argument 'frobnicate'", "llamasteer --help", "frobnicate");
        yield return Case("no-verb", "Required command was not provided", "llamasteer --help");
        yield return Case("unknown-option", "Unrecognized command or argument '--frobnicate'", "llamasteer generate --help", "generate", "-m", Model, "-p", "x", "--frobnicate");
        yield return Case("repeated-prompt", "expects a single argument but 2 were provided", "llamasteer generate --help", "generate", "-m", Model, "-p", "x", "-p", "y");
        yield return Case("temperature-not-a-number", "Cannot parse argument 'warm'", "llamasteer generate --help", "generate", "-m", Model, "-p", "x", "--temperature", "warm");
        yield return Case("seed-negative", "Cannot parse argument '-1'", "llamasteer generate --help", "generate", "-m", Model, "-p", "x", "--seed", "-1");
        yield return Case("train-missing-output", "Option '--output' is required", "llamasteer train --help", "train", "-m", Model, "-d", "tinystories-happy-sad");
        yield return Case("eval-samples-not-a-number", "Cannot parse argument 'many'", "llamasteer eval --help", "eval", "-m", Model, "--samples", "many");
        yield return Case("bench-runs-overflow", "Cannot parse argument '99999999999'", "llamasteer bench --help", "bench", "-m", Model, "--runs", "99999999999");
    }

    [TestCaseSource(nameof(BadCommandLines))]
    public void OneLineExit2(string[] args, string mentions, string help)
    {
        var r = CliRunner.Run(args);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.Stderr);
        Assert.That(r.Stdout, Is.Empty, "help or output on stdout");
        var lines = r.Stderr.TrimEnd().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(1), r.Stderr);
        Assert.That(lines[0], Does.StartWith("llamasteer: ").And.Contain(mentions).And.EndWith($"(see '{help}')"));
    }

    [Test]
    public void HelpStillPrintsAndExits0()
    {
        var r = CliRunner.Run(["generate", "--help"]);
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        Assert.That(r.Stdout, Does.Contain("--prompt").And.Contain("--context-beyond-trained").And.Contain("--threads-beyond-cores"));
    }

    [Test]
    public void LlamaCppReasonAppearsOnceInsideTheOneLine()
    {
        // The real model without output_norm.weight: the managed checks pass it and llama.cpp refuses the load, logging why.
        var folder = TestPaths.NewTempDirectory();
        try
        {
            var path = ModelEdits.Rewrite(folder, "no-output-norm.gguf", (_, _) => { }, (_, t) => t.Name == "output_norm.weight", (_, _, _) => { });
            var r = CliRunner.Run(["generate", "-m", path, "-t", "1", "-p", "x"]);
            Assert.That(r.ExitCode, Is.EqualTo(1), r.Stderr);
            var lines = r.Stderr.TrimEnd().Split('\n');
            Assert.That(lines, Has.Length.EqualTo(1), r.Stderr);
            Assert.That(lines[0], Does.StartWith($"llamasteer: Could not load {path}"));
            var reason = "tensor 'output_norm.weight' not found";
            Assert.That(lines[0], Does.Contain(reason));
            Assert.That(lines[0].Split(reason).Length - 1, Is.EqualTo(1), "llama.cpp's reason repeated");
            Assert.That(lines[0], Does.Not.Contain("bad special token"), "llama.cpp's warnings beside its error");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
