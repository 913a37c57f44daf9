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

    private static readonly Dictionary<string, string?> NoNativeDirVariable = new() { ["LLAMASTEER_NATIVE_DIR"] = null };

    /// <summary>A folder holding the fetched runtime's base libraries and a libllama compiled here from <paramref name="source"/>.</summary>
    private static string RuntimeWithStubLlama(string source)
    {
        var dir = TestPaths.NewTempDirectory();
        var native = Path.Combine(AppContext.BaseDirectory, "native");
        foreach (var f in new[] { "libggml-base.so", "libggml.v0.5.0.so" }) File.Copy(Path.Combine(native, f), Path.Combine(dir, f));
        File.WriteAllText(Path.Combine(dir, "stub.c"), source);
        var cc = Executables.Run("cc", ["-shared", "-fPIC", "-o", Path.Combine(dir, "libllama.v0.5.0.so"), Path.Combine(dir, "stub.c")]);
        Assert.That(cc.ExitCode, Is.Zero, $"could not compile the stub library: {cc.Stderr}");
        return dir;
    }

    [Test]
    public void NativeDirLoadsTheRuntimeFromThatFolder()
    {
        var dir = TestPaths.NewTempDirectory();
        try
        {
            foreach (var f in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "native"))) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            var r = CliRunner.Run(["info", "-m", TestPaths.Model, "-t", "1", "--native-dir", dir], NoNativeDirVariable);
            Assert.That(r.ExitCode, Is.Zero, r.Stderr);
            Assert.That(r.Stdout, Does.Match($@"llama\.cpp\s+0\.5\.0\S* .* from {System.Text.RegularExpressions.Regex.Escape(dir)}\n"));
            AssertCleanFailure(CliRunner.Run(["info", "-m", TestPaths.Model, "-t", "1", "--native-dir", "/nonexistent/llama"], NoNativeDirVariable),
                1, "The llama.cpp runtime was not found. Searched: /nonexistent/llama");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>A libllama of the right release that exports every function LlamaSteer imports but one is refused, naming that one.</summary>
    [Test]
    public void RuntimeMissingAnExportedSymbol()
    {
        const string version = "const char * llama_version(void) { return \"0.5.0\"; }\n";
        // First a library with nothing but the release: the refusal lists every import.
        var bare = RuntimeWithStubLlama(version);
        var all = CliRunner.Run(["generate", "-m", TestPaths.Model, "-p", "x", "--native-dir", bare], NoNativeDirVariable);
        Directory.Delete(bare, true);
        AssertCleanFailure(all, 1, "lacks symbols LlamaSteer needs: ");
        var needed = all.Stderr.Trim().Split("needs: ")[1].TrimEnd('.').Split(", ");
        Assert.That(needed, Does.Contain("llama_decode").And.Contain("llama_model_load_from_file").And.Contain("llama_set_adapter_cvec"));

        // Then one that exports all of them but llama_decode (as empty functions: none may be called).
        var source = version + string.Concat(needed.Where(n => n != "llama_decode").Select(n => $"void {n}(void) {{}}\n"));
        var dir = RuntimeWithStubLlama(source);
        try
        {
            var r = CliRunner.Run(["generate", "-m", TestPaths.Model, "-p", "x", "--native-dir", dir], NoNativeDirVariable);
            AssertCleanFailure(r, 1, $"The llama.cpp runtime in {dir} lacks symbols LlamaSteer needs: llama_decode.");
            Assert.That(r.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1), r.Stderr);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void RuntimeOfTheWrongRelease()
    {
        // A real runtime folder (the cpu package's file names) whose libllama reports another release.
        var dir = RuntimeWithStubLlama("const char * llama_version(void) { return \"0.4.2\"; }\n");
        var r = CliRunner.Run(["generate", "-m", TestPaths.Model, "-p", "x"], new Dictionary<string, string?> { ["LLAMASTEER_NATIVE_DIR"] = dir });
        AssertCleanFailure(r, 1, "is release '0.4.2', but LlamaSteer binds release 0.5.0");
        Directory.Delete(dir, true);
    }
}
