using System.Text.Json;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Host.Tests.Cli;

/// <summary>llamasteer eval through the real executable on stories260K: a small sweep, methods from a dataset, bad input.</summary>
[TestFixture]
public class EvalVerbTests
{
    private string _dir = null!;
    private string _vector = null!;

    [OneTimeSetUp]
    public void TrainVector()
    {
        _dir = TestPaths.NewTempDirectory();
        // A copy named mood.gguf: the refusals below name it, and CLAS parameters are written beside a copy of it.
        _vector = SharedModel.CopyVector("tinystories-happy-sad", _dir, "mood.gguf");
    }

    [OneTimeTearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    private static string Dataset(string name) => Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", name + ".jsonl");

    private static ProcessResult Eval(params string[] args) => CliRunner.Run(["eval", "-m", TestPaths.Model, "-t", "1", .. args]);

    [Test]
    public void ASmallSweepWritesJsonHtmlAndARecommendation()
    {
        var output = Path.Combine(_dir, "sweep", "report");
        var r = Eval("--vector", _vector, "--layers", "2,3", "--strengths", "-1,0,1", "--prompt", "Tim felt", "--prompt", "The dog was",
            "-n", "12", "--samples", "2", "--keywords", "happy,smile,glad", "--check", "max-words:10", "-o", output);
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);

        using var json = JsonDocument.Parse(File.ReadAllText(output + ".json"));
        var root = json.RootElement;
        var cells = root.GetProperty("cells").EnumerateArray().ToList();
        Assert.That(cells.Select(c => (c.GetProperty("layers").GetString(), c.GetProperty("strength").GetSingle())),
            Is.EquivalentTo(from l in new[] { "2", "3" } from s in new[] { -1f, 0f, 1f } select (l, s)));
        var baselinePerplexity = root.GetProperty("baseline").GetProperty("neutralPerplexity").GetDouble();
        foreach (var c in cells)
        {
            var m = c.GetProperty("metrics");
            Assert.That(m.GetProperty("logOdds").ValueKind, Is.EqualTo(JsonValueKind.Number));
            // One layer at strength 1 costs the tiny model a few percent of perplexity at most; the ratio is the cell's own perplexity over the baseline's.
            var ratio = m.GetProperty("perplexityRatio").GetDouble();
            Assert.That(ratio, Is.InRange(0.9, 1.3));
            Assert.That(ratio, Is.EqualTo(m.GetProperty("neutralPerplexity").GetDouble() / baselinePerplexity).Within(1e-6).Percent);
            Assert.That(m.GetProperty("conceptRate").GetDouble(), Is.InRange(0, 1));
            Assert.That(m.GetProperty("checkPassRates").GetProperty("max-words:10").GetDouble(), Is.InRange(0, 1));
            Assert.That(m.GetProperty("generations").GetArrayLength(), Is.EqualTo(2 * 2));
        }
        // Strength 0 is the unsteered model.
        Assert.That(cells.Where(c => c.GetProperty("strength").GetSingle() == 0).Select(c => c.GetProperty("metrics").GetProperty("shift").GetDouble()),
            Has.All.EqualTo(0).Within(1e-4));
        Assert.That(root.GetProperty("baseline").GetProperty("neutralPerplexity").GetDouble(), Is.GreaterThan(1));
        Assert.That(root.GetProperty("probePositive").GetString(), Is.EqualTo("happy"), "the probe comes from the dataset the vector records");

        var html = File.ReadAllText(output + ".html");
        Assert.That(html, Does.Contain("<svg").And.Contain("Fluency cost").And.Not.Contain("<script"));

        // Layer 3 at strength 1 moves the probe towards "happy" by more than a log-odds unit, so there is always a recommendation:
        // the largest positive shift among the steered cells whose perplexity ratio stays under the bound, read from the cells here.
        var advice = root.GetProperty("recommendationText").GetString()!;
        Assert.That(r.Stdout.Split('\n').Select(l => l.Trim()), Does.Contain(advice), "the recommendation is printed");
        Assert.That(r.Stdout, Does.Contain("ppl ratio").And.Contain("(unsteered)"));
        var best = cells
            .Select(c => (Layers: c.GetProperty("layers").GetString(), Strength: c.GetProperty("strength").GetSingle(),
                Shift: c.GetProperty("metrics").GetProperty("shift").GetDouble(), Ratio: c.GetProperty("metrics").GetProperty("perplexityRatio").GetDouble()))
            .Where(c => c.Strength != 0 && c.Ratio <= 1.5 && c.Shift > 0)
            .MaxBy(c => c.Shift);
        Assert.That(best.Layers, Is.Not.Null, "no cell qualifies: the settings were meant to give a recommendation");
        var recommendation = root.GetProperty("recommendation");
        Assert.That(recommendation.ValueKind, Is.EqualTo(JsonValueKind.Object), advice);
        Assert.That(recommendation.GetProperty("layers").GetString(), Is.EqualTo(best.Layers));
        Assert.That(recommendation.GetProperty("strength").GetSingle(), Is.EqualTo(best.Strength));
        Assert.That(recommendation.GetProperty("effect").GetDouble(), Is.EqualTo(best.Shift));
        Assert.That(recommendation.GetProperty("perplexityRatio").GetDouble(), Is.EqualTo(best.Ratio));
        Assert.That(advice, Does.StartWith($"recommended: mood.gguf on layer {best.Layers} at strength {best.Strength}: probe log-odds shift +"));
    }

    [Test]
    public void ADatasetIsTrainedOncePerMethodAndEachIsSwept()
    {
        var output = Path.Combine(_dir, "methods");
        var r = Eval("--dataset", "tinystories-happy-sad", "--methods", "mean,pca-diff", "--layers", "4", "--strengths", "0,1",
            "-n", "8", "--samples", "1", "-o", output);
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        using var json = JsonDocument.Parse(File.ReadAllText(output + ".json"));
        Assert.That(json.RootElement.GetProperty("candidates").EnumerateArray().Select(c => c.GetString()), Is.EqualTo(new[] { "mean", "pca-diff" }));
        var cells = json.RootElement.GetProperty("cells").EnumerateArray().ToList();
        Assert.That(cells, Has.Count.EqualTo(4));
        foreach (var c in cells.Where(c => c.GetProperty("strength").GetSingle() == 1))
            Assert.That(c.GetProperty("metrics").GetProperty("shift").GetDouble(), Is.GreaterThan(0.5), c.GetProperty("candidate").GetString());
    }

    [Test]
    public void ClasIsSweptBesideTheFixedStrength()
    {
        var vec = Path.Combine(_dir, "clasmood.gguf");
        File.Copy(_vector, vec);
        // The shipped CLAS examples, fitted as the README does.
        var examples = Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "clas");
        var fit = CliRunner.Run(["clas", "-m", TestPaths.Model, "-t", "1", "--vector", vec, "--wanted", Path.Combine(examples, "mood-cues.txt"),
            "--unwanted", Path.Combine(examples, "neutral-narration.txt"), "--wanted-positions", "last", "--unwanted-positions", "all"]);
        Assert.That(fit.ExitCode, Is.Zero, fit.Stderr);

        var output = Path.Combine(_dir, "clas");
        var r = Eval("--vector", vec, "--clas", "--layer-set", "1-4", "--strengths", "0,2", "-n", "8", "--samples", "1", "--keywords", "happy", "-o", output);
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        using var json = JsonDocument.Parse(File.ReadAllText(output + ".json"));
        Assert.That(json.RootElement.GetProperty("candidates").EnumerateArray().Select(c => c.GetString()),
            Is.EqualTo(new[] { "clasmood.gguf (fixed)", "clasmood.gguf (CLAS)" }));
        var shift = json.RootElement.GetProperty("cells").EnumerateArray().ToDictionary(
            c => (c.GetProperty("candidate").GetString(), c.GetProperty("strength").GetSingle()),
            c => c.GetProperty("metrics").GetProperty("shift").GetDouble());
        Assert.That(shift[("clasmood.gguf (CLAS)", 0f)], Is.EqualTo(0).Within(1e-4));
        Assert.That(shift[("clasmood.gguf (fixed)", 2f)], Is.GreaterThan(0.5));
        Assert.That(shift[("clasmood.gguf (CLAS)", 2f)], Is.Not.EqualTo(shift[("clasmood.gguf (fixed)", 2f)]).Within(1e-3), "CLAS scaled nothing");

        // Parameters fitted for another vector are refused before anything is decoded.
        var other = Path.Combine(_dir, "other.gguf");
        ControlVectorFile.Write(new SteeringVector(64, Enumerable.Range(1, 4).ToDictionary(l => l, _ => Enumerable.Repeat(0.1f, 64).ToArray())), other);
        File.Copy(Path.Combine(_dir, "clasmood.clas.gguf"), Path.Combine(_dir, "other.clas.gguf"));
        var foreign = Eval("--vector", other, "--clas", "--layer-set", "1-4", "--prompt", "Tim felt", "-o", Path.Combine(_dir, "foreign"));
        Assert.That(foreign.ExitCode, Is.Not.Zero);
        Assert.That(foreign.Stderr, Does.Contain("another vector"));
        Assert.That(File.Exists(Path.Combine(_dir, "foreign.json")), Is.False);
    }

    [Test]
    public void BadInputIsOneLineBeforeAnyDecoding()
    {
        var emptyPrompts = Path.Combine(_dir, "empty.txt");
        File.WriteAllLines(emptyPrompts, ["# only a comment", ""]);
        var anonymous = Path.Combine(_dir, "anonymous.gguf");
        ControlVectorFile.Write(new SteeringVector(64, new Dictionary<int, float[]> { [2] = Enumerable.Repeat(0.1f, 64).ToArray() }), anonymous);
        var output = Path.Combine(_dir, "bad");
        (string[] Args, int Code, string Says)[] cases =
        [
            (["--vector", Path.Combine(_dir, "missing.gguf")], 1, "no such file"),
            (["--vector", _vector, "--layers", "2-9"], 2, "outside the model"),
            (["--vector", _vector, "--strengths", "1,nan"], 2, "not a finite number"),
            (["--vector", _vector, "--strengths", "1,x"], 2, "'x' is not a number"),
            (["--vector", _vector, "--prompts", emptyPrompts], 1, "no prompts"),
            (["--vector", anonymous], 2, "prompt set is empty"),
            (["--vector", _vector, "--dataset", "tinystories-happy-sad"], 2, "either --vector"),
            ([], 2, "either --vector"),
            (["--vector", _vector, "--check", "shout"], 2, "Unknown check 'shout'"),
            (["--vector", _vector, "--max-ppl-ratio", "0.5"], 2, ">= 1"),
            (["--vector", _vector, "--probe", "no-such-probe"], 2, "no probe 'no-such-probe'"),
            (["--vector", _vector, "--positive", "happy"], 2, "--positive and --negative go together"),
            (["--vector", _vector, "--clas"], 1, "mood.clas.gguf does not exist"),
            (["--dataset", "tinystories-happy-sad", "--clas"], 2, "--clas needs --vector"),
        ];
        foreach (var (args, code, says) in cases)
        {
            var r = Eval([.. args, "-o", output]);
            var what = string.Join(' ', args);
            Assert.That(r.ExitCode, Is.EqualTo(code), $"{what}: {r.Stderr}");
            Assert.That(r.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1), $"{what}: one line: {r.Stderr}");
            Assert.That(r.Stderr, Does.StartWith("llamasteer: ").And.Contain(says), what);
            Assert.That(File.Exists(output + ".json"), Is.False, $"{what}: nothing written");
        }
    }
}
