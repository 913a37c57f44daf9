using LlamaSteer.Gguf;
using LlamaSteer.GgufTools.Commands;
using LlamaSteer.Testing;
using NUnit.Framework;

namespace LlamaSteer.GgufTools.Tests;

/// <summary>bake through the built gguf-tools executable: its registration in Program.cs and its real exit codes.</summary>
public sealed class BakeExecutableTests
{
    private static ProcessResult RunTool(params string[] args) => Executables.Run(Executables.BesideTheTests("gguf-tools"), args, timeoutSeconds: 60);

    [Test]
    public void BakeIsWiredIntoTheExecutable()
    {
        var folder = TestPaths.NewTempDirectory();
        try
        {
            var vector = SharedModel.RandomVectorFile(Path.Combine(folder, "v.gguf"), 1, [3]);
            var output = Path.Combine(folder, "steered.gguf");

            var (exitCode, stdout, error) = RunTool("bake", "--model", TestPaths.Model, "--vector", $"{vector}:0.5", "-o", output);
            Assert.That(exitCode, Is.Zero, error);
            Assert.That(stdout, Does.Contain("blk.3.ffn_down.bias: created"));
            Assert.That(GgufFile.Read(output).FindTensor("blk.3.ffn_down.bias"), Is.Not.Null);

            var again = RunTool("bake", "--model", output, "--vector", vector, "-o", Path.Combine(folder, "twice.gguf"));
            Assert.That(again.ExitCode, Is.EqualTo(ExitCodes.InvalidFile));
            Assert.That(again.Stderr.TrimEnd(), Does.Match("^gguf-tools: .*steered.gguf already has v.gguf baked in \\(strength 0.5 on layers 3\\).*--force to do so\\.$"));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
