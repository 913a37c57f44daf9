using System.Diagnostics;
using LlamaSteer.Testing;

namespace LlamaSteer.Host.Tests.Cli;

/// <summary>Every bad input gets one clear line naming the problem, a non-zero exit code, and no crash or stack trace.</summary>
[TestFixture]
public class BadInputTests
{
    private static void AssertCleanFailure(ProcessResult r, int exitCode, string mentions)
    {
        Assert.That(r.ExitCode, Is.EqualTo(exitCode), $"stdout: {r.Stdout}\nstderr: {r.Stderr}");
        Assert.That(r.Stderr, Does.Contain(mentions));
        Assert.That(r.Stderr, Does.Not.Contain("   at "), "stack trace printed");
    }

    private static ProcessResult Generate(params string[] extra) =>
        CliRunner.Run(["generate", "-m", TestPaths.Model, "-t", "1", .. extra]);

    [Test]
    public void MissingModelFile() =>
        AssertCleanFailure(CliRunner.Run(["generate", "-m", "/nonexistent/model.gguf", "-p", "x"]), 1, "Model file not found: /nonexistent/model.gguf");

    [Test]
    public void FileThatIsNotGguf()
    {
        var dir = TestPaths.NewTempDirectory();
        var path = Path.Combine(dir, "notes.gguf");
        File.WriteAllText(path, "these are not the weights you are looking for");
        AssertCleanFailure(CliRunner.Run(["generate", "-m", path, "-p", "x"]), 1, "not a GGUF file");
        Directory.Delete(dir, true);
    }

    [Test]
    public void EmptyPrompt() => AssertCleanFailure(Generate("-p", ""), 2, "The prompt is empty");

    [Test]
    public void PromptLongerThanTheContext() =>
        AssertCleanFailure(Generate("-p", string.Join(" ", Enumerable.Repeat("Once upon a time", 100)), "--context", "256"), 1, "but the context holds 256");

    [TestCase("--temperature", "-1", "Temperature")]
    [TestCase("--temperature", "NaN", "Temperature")]
    [TestCase("--top-p", "0", "top-p")]
    [TestCase("--top-p", "1.5", "top-p")]
    [TestCase("--min-p", "2", "min-p")]
    [TestCase("--top-k", "-3", "top-k")]
    [TestCase("--repeat-penalty", "0", "repetition penalty")]
    [TestCase("--max-tokens", "0", "max-tokens")]
    public void InvalidSamplingValue(string option, string value, string mentions) =>
        AssertCleanFailure(Generate("-p", "Once", option, value), 2, mentions);

    [Test]
    public void InvalidThreadCount() => AssertCleanFailure(CliRunner.Run(["generate", "-m", TestPaths.Model, "-p", "Once", "--threads", "0"]), 2, "--threads must be at least 1");

    [Test]
    public void MissingNativeRuntime() =>
        AssertCleanFailure(CliRunner.Run(["generate", "-m", TestPaths.Model, "-p", "x"], new Dictionary<string, string?> { ["LLAMASTEER_NATIVE_DIR"] = "/nonexistent/llama" }),
            1, "The llama.cpp runtime was not found. Searched: /nonexistent/llama");

    [Test]
    public void RuntimeOfTheWrongRelease()
    {
        // A real runtime folder (the cpu package's file names) whose libllama reports another release.
        var dir = TestPaths.NewTempDirectory();
        var native = Path.Combine(AppContext.BaseDirectory, "native");
        foreach (var f in new[] { "libggml-base.so", "libggml.v0.5.0.so" }) File.Copy(Path.Combine(native, f), Path.Combine(dir, f));
        File.WriteAllText(Path.Combine(dir, "stub.c"), "const char * llama_version(void) { return \"0.4.2\"; }\n");
        using (var cc = Process.Start(new ProcessStartInfo("cc", $"-shared -fPIC -o {dir}/libllama.v0.5.0.so {dir}/stub.c")))
        {
            cc!.WaitForExit();
            Assert.That(cc.ExitCode, Is.Zero, "could not compile the stub library");
        }
        var r = CliRunner.Run(["generate", "-m", TestPaths.Model, "-p", "x"], new Dictionary<string, string?> { ["LLAMASTEER_NATIVE_DIR"] = dir });
        AssertCleanFailure(r, 1, "is release '0.4.2', but LlamaSteer binds release 0.5.0");
        Directory.Delete(dir, true);
    }
}
