using System.Security.Cryptography;
using LlamaSteer.Testing;

namespace LlamaSteer.Host.Tests.Cli;

/// <summary>Every verb that writes refuses an output that is one of its inputs (even with --force), before any work, and leaves the input as it was.</summary>
[TestFixture]
public class OutputIsNeverAnInputTests
{
    private string _folder = null!;
    private string _vector = null!;

    [OneTimeSetUp]
    public void TrainVector()
    {
        _folder = TestPaths.NewTempDirectory();
        // A copy: these tests try to overwrite it (and must fail to).
        _vector = SharedModel.CopyVector("tinystories-happy-sad", _folder, "happy.gguf");
    }

    [OneTimeTearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static void AssertRefusedAndUntouched(string[] args, string input, string mentions)
    {
        var before = Hash(input);
        var r = CliRunner.Run(args);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.Stderr);
        Assert.That(r.Stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1), r.Stderr);
        Assert.That(r.Stderr, Does.Contain(mentions).And.Contain("an output never replaces an input"));
        Assert.That(Hash(input), Is.EqualTo(before), $"{input} changed");
    }

    [Test]
    public void TrainOutputIsTheModelEvenWithForce()
    {
        // A copy of the model, so that a failure of this test cannot damage the shipped one.
        var model = Path.Combine(_folder, "model.gguf");
        File.Copy(TestPaths.Model, model, overwrite: true);
        AssertRefusedAndUntouched(["train", "-m", model, "-t", "1", "-d", "tinystories-happy-sad", "-o", model, "--force"], model, "is the --model input");
    }

    [Test]
    public void TrainOutputIsTheDataset()
    {
        var dataset = Path.Combine(_folder, "pairs.jsonl");
        File.Copy(Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "tinystories-happy-sad.jsonl"), dataset, overwrite: true);
        AssertRefusedAndUntouched(["train", "-m", TestPaths.Model, "-t", "1", "-d", dataset, "-o", dataset, "--force"], dataset, "is the --dataset input");
    }

    [Test]
    public void TrainOutputThroughASymbolicLinkToTheModel()
    {
        var model = Path.Combine(_folder, "linked-model.gguf");
        File.Copy(TestPaths.Model, model, overwrite: true);
        var link = Path.Combine(_folder, "link.gguf");
        if (File.Exists(link)) File.Delete(link);
        File.CreateSymbolicLink(link, model);
        AssertRefusedAndUntouched(["train", "-m", model, "-t", "1", "-d", "tinystories-happy-sad", "-o", link, "--force"], model, "is the --model input");
    }

    [Test]
    public void ClasOutputIsItsVector() =>
        AssertRefusedAndUntouched(["clas", "-m", TestPaths.Model, "-t", "1", "--vector", _vector,
            "--wanted", Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "clas", "mood-cues.txt"),
            "--unwanted", Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "clas", "neutral-narration.txt"), "-o", _vector], _vector, "is the --vector input");

    [Test]
    public void EvalReportIsItsVector()
    {
        // eval -o X writes X.json and X.html: an -o whose X.json is the vector is refused before the sweep.
        var asJson = Path.Combine(_folder, "report.json");
        File.Copy(_vector, asJson, overwrite: true);
        var r = CliRunner.Run(["eval", "-m", TestPaths.Model, "-t", "1", "--vector", asJson, "-o", Path.Combine(_folder, "report")]);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.Stderr);
        Assert.That(r.Stderr.TrimEnd(), Does.Contain("is the --vector input").And.Not.Contain("generations"));
    }

    [Test]
    public void EvalChecksItsOutputBeforeTheSweep()
    {
        var folderNamedLikeTheReport = Path.Combine(_folder, "taken.json");
        Directory.CreateDirectory(folderNamedLikeTheReport);
        var r = CliRunner.Run(["eval", "-m", TestPaths.Model, "-t", "1", "--vector", _vector, "-o", Path.Combine(_folder, "taken")]);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.Stderr);
        Assert.That(r.Stderr.TrimEnd(), Is.EqualTo($"llamasteer: --output {folderNamedLikeTheReport} is a folder; give a file name."));
    }
}
