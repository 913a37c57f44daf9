using System.Diagnostics;
using LlamaSteer.Testing;

namespace LlamaSteer.Host.Tests.Cli;

/// <summary>
/// SIGINT and SIGTERM sent to the real llamasteer executable in the middle of a verb's work cancel it: the verb
/// stops, writes nothing (no output, no hidden temporary file), prints one line "llamasteer: cancelled" and exits 130.
/// </summary>
[TestFixture]
public class SignalTests
{
    private string _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = TestPaths.NewTempDirectory();

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private static ProcessStartInfo Llamasteer(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "llamasteer.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        return start;
    }

    private void AssertCancelled(SignalledProcess.Outcome r)
    {
        Assert.That(r.ExitCode, Is.EqualTo(130), $"stdout: {r.Stdout}\nstderr: {r.Stderr}");
        Assert.That(r.Stderr.TrimEnd().Split('\n')[^1], Is.EqualTo("llamasteer: cancelled"));
        Assert.That(r.Stderr, Does.Not.Contain("   at "), "stack trace printed");
        Assert.That(Directory.GetFiles(_folder), Is.Empty, "a cancelled verb wrote a file (or left a temporary one)");
    }

    [TestCase("INT")]
    [TestCase("TERM")]
    public void Generate(string signal)
    {
        // Greedy decoding of the tiny model runs to the token limit; 2000 tokens in a 2048-token context take seconds.
        var r = SignalledProcess.Run(Llamasteer("generate", "-m", TestPaths.Model, "-t", "1", "-p", "Once upon a time", "--temperature", "0", "-n", "2000", "-c", "2048"),
            "Once upon a time", signal);
        AssertCancelled(r);
        Assert.That(r.Stdout.Length, Is.LessThan(6000), "the generation ran to its end");
    }

    [TestCase("INT")]
    [TestCase("TERM")]
    public void Train(string signal)
    {
        // A dataset of 600 pairs takes far longer to capture than the signal takes to arrive.
        var lines = File.ReadLines(Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "tinystories-happy-sad.jsonl")).Where(l => l.StartsWith('{')).ToArray();
        var dataset = Path.Combine(Path.GetTempPath(), $"signal-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(dataset, Enumerable.Range(0, 600).Select(i => lines[i % lines.Length]));
        try
        {
            var output = Path.Combine(_folder, "v.gguf");
            var r = SignalledProcess.Run(Llamasteer("train", "-m", TestPaths.Model, "-t", "1", "-d", dataset, "-o", output), " pairs, ", signal);
            AssertCancelled(r);
        }
        finally
        {
            File.Delete(dataset);
        }
    }

    [Test]
    public void Eval()
    {
        var vector = SharedModel.VectorFile("tinystories-happy-sad");
        var r = SignalledProcess.Run(Llamasteer("eval", "-m", TestPaths.Model, "-t", "1", "--vector", vector, "--layers", "3", "--samples", "300", "-n", "64",
            "-o", Path.Combine(_folder, "report")), "generations:", "TERM");
        AssertCancelled(r);
    }

    [Test]
    public void Bench()
    {
        var r = SignalledProcess.Run(Llamasteer("bench", "-m", TestPaths.Model, "-t", "1", "--runs", "50", "-o", Path.Combine(_folder, "bench")), "llamasteer bench:", "TERM");
        AssertCancelled(r);
    }
}
