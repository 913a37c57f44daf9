using LlamaSteer.Testing;
using NUnit.Framework;

namespace LlamaSteer.GgufTools.Tests;

/// <summary>The built gguf-tools executable, run as a process: Program.cs wiring and real exit codes.</summary>
public sealed class ExecutableTests
{
    private static ProcessResult RunTool(params string[] args) => Executables.Run(Executables.BesideTheTests("gguf-tools"), args, timeoutSeconds: 60);

    [Test]
    public void InspectIsWiredIntoTheExecutable()
    {
        var (exitCode, output, error) = RunTool("inspect", TestPaths.Model);

        Assert.That(exitCode, Is.Zero, error);
        Assert.That(output, Does.Contain("token_embd.weight"));
    }

    [Test]
    public void AnInvalidFileGivesExitCode2AndOneLineOnStderr()
    {
        var (exitCode, output, error) = RunTool("inspect", Path.Combine(AppContext.BaseDirectory, "gguf-tools.dll"));

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(output, Is.Empty);
        Assert.That(error.TrimEnd(), Does.Match("^gguf-tools: .*gguf-tools.dll: not a GGUF file: starts with 'MZ..' \\(expected 'GGUF'\\)$"));
    }

    [Test]
    public void SynthIsWiredIntoTheExecutable()
    {
        var folder = TestPaths.NewTempDirectory();
        try
        {
            var path = Path.Combine(folder, "model.gguf");
            var (exitCode, output, error) = RunTool("synth", "--n-embd", "64", "--layers", "1", "--heads", "4", "--n-ff", "128", "--vocab", "512", "--type", "q8_0", "-o", path);

            Assert.That(exitCode, Is.Zero, error);
            Assert.That(output, Does.StartWith($"wrote {path} "));
            Assert.That(File.Exists(path), Is.True);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public void SynthRefusesAnUnknownPresetWithExitCode2()
    {
        var (exitCode, output, error) = RunTool("synth", "--preset", "nope", "-o", Path.Combine(Path.GetTempPath(), "never-written.gguf"));

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(output, Is.Empty);
        Assert.That(error.TrimEnd(), Does.Match("^gguf-tools: unknown --preset 'nope'; use [^\\n]+$"));
    }

    [Test]
    public void AMissingArgumentIsAUsageError()
    {
        var (exitCode, _, error) = RunTool("inspect");

        Assert.That(exitCode, Is.EqualTo(1));
        Assert.That(error, Does.Contain("argument").And.Contain("inspect"));
    }

    [Test]
    public void CvecIsWiredIntoTheExecutableAndCheckKeepsStderrClean()
    {
        var folder = TestPaths.NewTempDirectory();
        try
        {
            var path = SharedModel.RandomVectorFile(Path.Combine(folder, "v.gguf"), 1, [1], scale: 0.01f);

            var show = RunTool("cvec", "show", path);
            var check = RunTool("cvec", "check", "--model", TestPaths.Model, path);

            Assert.That(show.ExitCode, Is.Zero, show.Stderr);
            Assert.That(show.Stdout, Does.Contain("n_embd"));
            Assert.That(check.ExitCode, Is.Zero, check.Stdout + check.Stderr);
            Assert.That(check.Stdout, Does.Contain($"{path}: fits"));
            Assert.That(check.Stderr, Is.Empty, "llama.cpp's log stays off stderr");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
