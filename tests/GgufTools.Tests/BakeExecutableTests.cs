using System.Diagnostics;
using LlamaSteer.Gguf;
using LlamaSteer.GgufTools.Commands;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;
using NUnit.Framework;

namespace LlamaSteer.GgufTools.Tests;

/// <summary>bake through the built gguf-tools executable: its registration in Program.cs and its real exit codes.</summary>
public sealed class BakeExecutableTests
{
    private static (int ExitCode, string Output, string Error) RunTool(params string[] args)
    {
        var apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "gguf-tools.exe" : "gguf-tools");
        Assume.That(File.Exists(apphost), Is.True, $"no gguf-tools executable beside the tests at {apphost}");
        var start = new ProcessStartInfo(apphost) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.That(process.WaitForExit(TimeSpan.FromMinutes(1)), Is.True, "gguf-tools did not finish");
        return (process.ExitCode, output.Result, error.Result);
    }

    [Test]
    public void Bake_is_wired_into_the_executable()
    {
        var folder = TestPaths.NewTempDirectory();
        try
        {
            var vector = Path.Combine(folder, "v.gguf");
            ControlVectorFile.Write(new SteeringVector(64, new Dictionary<int, float[]> { [3] = Enumerable.Range(0, 64).Select(i => i / 64f).ToArray() }, "llama"), vector);
            var output = Path.Combine(folder, "steered.gguf");

            var (exitCode, stdout, error) = RunTool("bake", "--model", TestPaths.Model, "--vector", $"{vector}:0.5", "-o", output);
            Assert.That(exitCode, Is.Zero, error);
            Assert.That(stdout, Does.Contain("blk.3.ffn_down.bias: created"));
            Assert.That(GgufFile.Read(output).FindTensor("blk.3.ffn_down.bias"), Is.Not.Null);

            var again = RunTool("bake", "--model", output, "--vector", vector, "-o", Path.Combine(folder, "twice.gguf"));
            Assert.That(again.ExitCode, Is.EqualTo(ExitCodes.InvalidFile));
            Assert.That(again.Error.TrimEnd(), Does.Match("^gguf-tools: .*steered.gguf already has v.gguf baked in \\(strength 0.5 on layers 3\\).*--force to do so\\.$"));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
