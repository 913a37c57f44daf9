using System.Globalization;
using System.Text.RegularExpressions;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Host.Tests.Cli;

/// <summary>train, quickstart and generate --vector through the real executable on the real model.</summary>
[TestFixture]
public class SteeringVerbTests
{
    private string _dir = null!;

    [SetUp] public void MakeDir() => _dir = TestPaths.NewTempDirectory();
    [TearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    private static string Dataset(string name) => Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", name + ".jsonl");

    [Test]
    public void TrainWritesAVectorThatLlamaCppLayoutReadersAccept()
    {
        var outPath = Path.Combine(_dir, "mood.gguf");
        var r = CliRunner.Run(["train", "-m", TestPaths.Model, "-t", "1", "--dataset", Dataset("tinystories-happy-sad"), "--layers", "1-4", "-o", outPath]);
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        var v = ControlVectorFile.Read(outPath, 64);
        Assert.That(v.Layers, Is.EqualTo(new[] { 1, 2, 3, 4 }));
        Assert.That(v.Provenance.DatasetName, Is.EqualTo("tinystories-happy-sad"));
        Assert.That(r.Stdout, Does.Contain("separation"));
        // Refuses to overwrite without --force.
        var again = CliRunner.Run(["train", "-m", TestPaths.Model, "-t", "1", "--dataset", Dataset("tinystories-happy-sad"), "-o", outPath]);
        Assert.That(again.ExitCode, Is.EqualTo(2));
        Assert.That(again.Stderr, Does.Contain("--force"));
    }

    [TestCase("--method", "svd", "Unknown extraction method 'svd'")]
    [TestCase("--layers", "2-9", "outside the model")]
    [TestCase("--positions", "middle", "Unknown --positions")]
    public void TrainBadOptions(string option, string value, string mentions)
    {
        var r = CliRunner.Run(["train", "-m", TestPaths.Model, "-t", "1", "--dataset", Dataset("tinystories-happy-sad"), option, value, "-o", Path.Combine(_dir, "x.gguf")]);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.Stderr);
        Assert.That(r.Stderr, Does.Contain(mentions));
        Assert.That(File.Exists(Path.Combine(_dir, "x.gguf")), Is.False, "nothing half-written");
    }

    [Test]
    public void TrainMalformedDatasetNamesTheLine()
    {
        var bad = Path.Combine(_dir, "bad.jsonl");
        File.WriteAllLines(bad, ["{\"positive\": \"a happy day\", \"negative\": \"a sad day\"}", "{\"positive\": \"oops\""]);
        var r = CliRunner.Run(["train", "-m", TestPaths.Model, "-t", "1", "--dataset", bad, "-o", Path.Combine(_dir, "x.gguf")]);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Stderr);
        Assert.That(r.Stderr, Does.Contain("line 2"));
    }

    [Test]
    public void GenerateWithAVectorChangesTheTextAndRefusesForeignVectors()
    {
        var vec = Path.Combine(_dir, "mood.gguf");
        Assert.That(CliRunner.Run(["train", "-m", TestPaths.Model, "-t", "1", "--dataset", Dataset("tinystories-happy-sad"), "-o", vec]).ExitCode, Is.Zero);
        string Gen(params string[] extra) =>
            CliRunner.Run(["generate", "-m", TestPaths.Model, "-t", "1", "-p", "Tim felt", "--temp", "0", "-n", "20", .. extra]).Stdout;
        var plain = Gen();
        Assert.That(Gen("--vector", vec + ":2"), Is.Not.EqualTo(plain));
        Assert.That(Gen("--vector", vec + ":0"), Is.EqualTo(plain));

        var wide = Path.Combine(_dir, "wide.gguf");
        ControlVectorFile.Write(new SteeringVector(32, new Dictionary<int, float[]> { [1] = Enumerable.Repeat(1f, 32).ToArray() }), wide);
        var r = CliRunner.Run(["generate", "-m", TestPaths.Model, "-t", "1", "-p", "Tim felt", "--vector", wide]);
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Stderr, Does.Contain("n_embd is 64"));
        var nan = CliRunner.Run(["generate", "-m", TestPaths.Model, "-t", "1", "-p", "Tim felt", "--vector", vec + ":abc"]);
        Assert.That(nan.ExitCode, Is.EqualTo(2));
        Assert.That(nan.Stderr, Does.Contain("is not a strength"));
    }

    [Test]
    public void PlansFromTheCommandLine()
    {
        var vec = Path.Combine(_dir, "mood.gguf");
        // A shipped dataset by name, as the README's commands give it.
        var train = CliRunner.Run(["train", "-m", TestPaths.Model, "-t", "1", "--dataset", "tinystories-happy-sad", "-o", vec]);
        Assert.That(train.ExitCode, Is.Zero, train.Stderr);
        ProcessResult Gen(params string[] extra) =>
            CliRunner.Run(["generate", "-m", TestPaths.Model, "-t", "1", "-p", "Tim felt", "--temp", "0", "-n", "16", .. extra]);
        var all = Gen("--vector", vec + ":3");
        var promptOnly = Gen("--vector", vec + ":3", "--window", "prompt");
        var generatedOnly = Gen("--vector", vec + ":3", "--window", "generated");
        var ablated = Gen("--ablate", vec + "@3-4");
        var clamped = Gen("--clamp", vec + ":4@4");
        foreach (var r in new[] { all, promptOnly, generatedOnly, ablated, clamped }) Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        Assert.That(new[] { all.Stdout, promptOnly.Stdout, generatedOnly.Stdout }.Distinct().Count(), Is.EqualTo(3), "windows change what is steered");

        var missing = Gen("--vector", Path.Combine(_dir, "nope.gguf"));
        Assert.That(missing.ExitCode, Is.EqualTo(1));
        Assert.That(missing.Stderr, Does.Contain("nope.gguf: no such file"));
        var badWindow = Gen("--vector", vec, "--window", "sometimes");
        Assert.That(badWindow.ExitCode, Is.EqualTo(2));
        Assert.That(badWindow.Stderr, Does.Contain("is not a window"));
        var farWindow = Gen("--vector", vec, "--window", "positions:5000-5010");
        Assert.That(farWindow.ExitCode, Is.EqualTo(2));
        Assert.That(farWindow.Stderr, Does.Contain("beyond the context"));
        var conflict = Gen("--vector", vec + "@2", "--clamp", vec + ":1@2");
        Assert.That(conflict.ExitCode, Is.EqualTo(2));
        Assert.That(conflict.Stderr, Does.Contain("Conflicting terms"));
    }

    [Test]
    public void ClasFitsBesideTheVectorAndGenerateUsesIt()
    {
        var vec = Path.Combine(_dir, "mood.gguf");
        // A shipped dataset by name, as the README's commands give it.
        var train = CliRunner.Run(["train", "-m", TestPaths.Model, "-t", "1", "--dataset", "tinystories-happy-sad", "-o", vec]);
        Assert.That(train.ExitCode, Is.Zero, train.Stderr);
        ProcessResult Gen(params string[] extra) =>
            CliRunner.Run(["generate", "-m", TestPaths.Model, "-t", "1", "-p", "Tim felt", "--temp", "0", "-n", "16", "--vector", vec + ":2", .. extra]);

        var missing = Gen("--clas");
        Assert.That(missing.ExitCode, Is.EqualTo(1));
        Assert.That(missing.Stderr, Does.Contain("mood.clas.gguf"));

        var wanted = Path.Combine(_dir, "wanted.txt");
        var unwanted = Path.Combine(_dir, "unwanted.txt");
        File.WriteAllLines(wanted, ["Lily was so happy.", "Tim smiled and laughed.", "They were very glad.", "Sue felt sad and cried."]);
        File.WriteAllLines(unwanted, ["The sun was in the sky.", "Tim went to the park.", "Mom made a cake.", "The dog ran to the tree."]);
        var fit = CliRunner.Run(["clas", "-m", TestPaths.Model, "-t", "1", "--vector", vec, "--wanted", wanted, "--unwanted", unwanted]);
        Assert.That(fit.ExitCode, Is.Zero, fit.Stderr);
        Assert.That(File.Exists(Path.Combine(_dir, "mood.clas.gguf")));

        var fixedStrength = Gen();
        var contextual = Gen("--clas");
        Assert.That(contextual.ExitCode, Is.Zero, contextual.Stderr);
        Assert.That(contextual.Stdout, Is.Not.EqualTo(fixedStrength.Stdout), "CLAS scaled nothing");

        // Per-side positions: the wanted examples' last tokens only give other parameters than every token.
        var cues = Path.Combine(_dir, "cues.clas.gguf");
        var refit = CliRunner.Run(["clas", "-m", TestPaths.Model, "-t", "1", "--vector", vec, "--wanted", wanted, "--unwanted", unwanted,
            "--wanted-positions", "last", "-o", cues]);
        Assert.That(refit.ExitCode, Is.Zero, refit.Stderr);
        Assert.That(File.ReadAllBytes(cues), Is.Not.EqualTo(File.ReadAllBytes(Path.Combine(_dir, "mood.clas.gguf"))));
        var bad = CliRunner.Run(["clas", "-m", TestPaths.Model, "-t", "1", "--vector", vec, "--wanted", wanted, "--unwanted", unwanted,
            "--unwanted-positions", "first", "-o", Path.Combine(_dir, "bad.clas.gguf")]);
        Assert.That(bad.ExitCode, Is.EqualTo(2));
        Assert.That(bad.Stderr, Does.Contain("Unknown --unwanted-positions 'first'"));
        Assert.That(File.Exists(Path.Combine(_dir, "bad.clas.gguf")), Is.False);
    }

    [Test]
    public void QuickstartTrainsWritesAndShowsAMonotoneEffect()
    {
        var outPath = Path.Combine(_dir, "q.gguf");
        var r = CliRunner.Run(["quickstart", "-m", TestPaths.Model, "-t", "1", "-o", outPath, "-n", "12"]);
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        Assert.That(File.Exists(outPath));
        var line = r.Stdout.Split('\n').Single(l => l.TrimStart().StartsWith("log-odds"));
        var values = Regex.Matches(line, @"[+-]\d+\.\d+").Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture)).ToArray();
        Assert.That(values, Has.Length.EqualTo(7));
        Assert.That(values, Is.Ordered.Ascending, line);
        Assert.That(r.Stdout, Does.Contain("unsteered").And.Contain("strength +1"));
    }
}
