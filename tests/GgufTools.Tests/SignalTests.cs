using System.Diagnostics;
using LlamaSteer.Testing;
using NUnit.Framework;

namespace LlamaSteer.GgufTools.Tests;

/// <summary>
/// SIGINT and SIGTERM sent to the real gguf-tools executable while synth writes a model of hundreds of megabytes:
/// it stops, deletes its hidden temporary file, writes no output, says so in one line and exits 130.
/// </summary>
public sealed class SignalTests
{
    [TestCase("INT")]
    [TestCase("TERM")]
    public void SynthCancelledMidWriteLeavesNoFile(string signal)
    {
        var apphost = Executables.BesideTheTests("gguf-tools");
        var folder = TestPaths.NewTempDirectory();
        try
        {
            var output = Path.Combine(folder, "big.gguf");
            var start = new ProcessStartInfo(apphost);
            foreach (var a in new[] { "synth", "--n-embd", "1024", "--layers", "8", "--heads", "16", "--n-ff", "4096", "--vocab", "32000", "-o", output })
                start.ArgumentList.Add(a);

            var r = SignalledProcess.Run(start, "synth: tensor", signal);

            Assert.That(r.ExitCode, Is.EqualTo(130), r.Stderr);
            Assert.That(r.Stderr.TrimEnd().Split('\n')[^1], Is.EqualTo($"gguf-tools: cancelled; {output} was not written"));
            Assert.That(r.Stderr, Does.Not.Contain("   at "));
            Assert.That(Directory.GetFileSystemEntries(folder), Is.Empty, "the output or its hidden temporary file was left behind");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
