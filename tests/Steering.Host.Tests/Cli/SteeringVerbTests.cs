using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using LlamaSteer.Steering;
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

    private static ProcessResult Train(params string[] args) => CliRunner.Run(["train", "-m", TestPaths.Model, "-t", "1", .. args]);

    /// <summary>
    /// --instruction with --prompts trains on the pairs a JSONL file of {"instruction", "prompt"} lines holds: the same vector,
    /// and the same dataset hash as that file's bytes.
    /// </summary>
    [Test]
    public void TrainFromAnInstructionEqualsTheSameInstructionDatasetFile()
    {
        const string instruction = "There was a little dog.";
        string[] prompts = ["Once upon a time, there was a girl.", "Tim went to the park.", "The sun was hot and the sky was blue.", "Mom made a cake."];
        var promptFile = Path.Combine(_dir, "prompts.txt");
        File.WriteAllLines(promptFile, ["# base prompts", .. prompts]);
        var jsonl = Path.Combine(_dir, "dog.jsonl");
        File.WriteAllText(jsonl, string.Concat(prompts.Select(p => JsonSerializer.Serialize(new { instruction, prompt = p }) + "\n")));

        var fromInstruction = Train("--instruction", instruction, "--prompts", promptFile, "--layers", "3-4", "-o", Path.Combine(_dir, "a.gguf"));
        var fromFile = Train("--dataset", jsonl, "--layers", "3-4", "-o", Path.Combine(_dir, "b.gguf"));
        Assert.That(fromInstruction.ExitCode, Is.Zero, fromInstruction.Stderr);
        Assert.That(fromFile.ExitCode, Is.Zero, fromFile.Stderr);
        var a = ControlVectorFile.Read(Path.Combine(_dir, "a.gguf"));
        var b = ControlVectorFile.Read(Path.Combine(_dir, "b.gguf"));
        Assert.That(a.Layers, Is.EqualTo(new[] { 3, 4 }));
        foreach (var l in a.Layers)
        {
            Assert.That(a.Direction(l).ToArray(), Is.EqualTo(b.Direction(l).ToArray()), $"layer {l}");
            Assert.That(a.Norm(l), Is.GreaterThan(0));
        }
        Assert.That(a.Provenance.DatasetSha256, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(jsonl)))));
        Assert.That(b.Provenance.DatasetSha256, Is.EqualTo(a.Provenance.DatasetSha256));
        Assert.That(fromInstruction.Stderr, Does.Contain($"{prompts.Length} pairs"));
    }

    /// <summary>
    /// --cache: the first run captures and writes the cache, a later run with another method reads it and gives the vector that
    /// method gives without a cache. --scaling: unit directions have length 1, separation ones are the same directions times
    /// the class distance the file records, and raw mean differences are the separation-scaled mean vector.
    /// </summary>
    [Test]
    public void CacheAndScalingFromTheCommandLine()
    {
        var cache = Path.Combine(_dir, "acts.gguf");
        string Out(string name) => Path.Combine(_dir, name + ".gguf");
        ProcessResult Run(string method, string scaling, string output, bool useCache = true) =>
            Train(["--dataset", "tinystories-girl-boy", "--layers", "2-3", "--method", method, "--scaling", scaling, "-o", Out(output), .. useCache ? new[] { "--cache", cache } : []]);

        var first = Run("mean", "separation", "mean-sep");
        Assert.That(first.ExitCode, Is.Zero, first.Stderr);
        Assert.That(first.Stderr, Does.Contain("tokens captured").And.Not.Contain("from the cache"));
        Assert.That(File.Exists(cache));
        var cached = Run("pca-diff", "unit", "pca-cached");
        Assert.That(cached.ExitCode, Is.Zero, cached.Stderr);
        Assert.That(cached.Stderr, Does.Contain($"activations from the cache {cache}"));
        var direct = Run("pca-diff", "unit", "pca-direct", useCache: false);
        Assert.That(direct.ExitCode, Is.Zero, direct.Stderr);
        foreach (var (scaling, name) in new[] { ("unit", "mean-unit"), ("raw", "mean-raw") })
            Assert.That(Run("mean", scaling, name).ExitCode, Is.Zero);

        var pcaCached = ControlVectorFile.Read(Out("pca-cached"));
        var pcaDirect = ControlVectorFile.Read(Out("pca-direct"));
        var sep = ControlVectorFile.Read(Out("mean-sep"));
        var unit = ControlVectorFile.Read(Out("mean-unit"));
        var raw = ControlVectorFile.Read(Out("mean-raw"));
        foreach (var l in new[] { 2, 3 })
        {
            Assert.That(pcaCached.Direction(l).ToArray(), Is.EqualTo(pcaDirect.Direction(l).ToArray()).Within(1e-5f), $"layer {l}: the cache changed the vector");
            Assert.That(unit.Norm(l), Is.EqualTo(1f).Within(1e-4f), $"layer {l}");
            Assert.That(pcaCached.Norm(l), Is.EqualTo(1f).Within(1e-4f), $"layer {l}");
            var distance = sep.Provenance.Calibration[l].PositiveMean - sep.Provenance.Calibration[l].NegativeMean;
            Assert.That(distance, Is.GreaterThan(0));
            Assert.That(sep.Direction(l).ToArray(), Is.EqualTo(unit.Direction(l).ToArray().Select(x => x * distance).ToArray()).Within(1e-4f * distance), $"layer {l}");
            Assert.That(raw.Direction(l).ToArray(), Is.EqualTo(sep.Direction(l).ToArray()).Within(1e-4f * distance), $"layer {l}");
        }
        var bad = Run("mean", "loud", "never");
        Assert.That(bad.ExitCode, Is.EqualTo(2), bad.Stderr);
        Assert.That(bad.Stderr, Does.Contain("Unknown --scaling 'loud': use separation, unit or raw."));
        Assert.That(File.Exists(Out("never")), Is.False);
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
        var vec = SharedModel.VectorFile("tinystories-happy-sad");
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

    private static ProcessResult Generate(string prompt, int maxTokens, params string[] extra) =>
        CliRunner.Run(["generate", "-m", TestPaths.Model, "-t", "1", "-p", prompt, "--temp", "0", "-n", maxTokens.ToString(CultureInfo.InvariantCulture), .. extra]);

    private static string Text(ProcessResult r)
    {
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        return r.Stdout;
    }

    /// <summary>
    /// Which generated tokens a window changes. The first generated token is sampled from the prompt's last logits, so a
    /// generated-only window cannot change it, and the second is the first that can differ; a window of exactly the prompt's
    /// positions is the prompt window, and one of exactly the first generated position steers what the generated window
    /// steers before the second token.
    /// </summary>
    [Test]
    public void WindowsSteerOnlyTheTokensTheyName()
    {
        const string prompt = "Tim felt";
        var vec = SharedModel.VectorFile("tinystories-happy-sad") + ":3";
        var p = SharedModel.Model.Tokenize(prompt).Length;
        string Gen(int n, params string[] window) => Text(Generate(prompt, n, ["--vector", vec, .. window]));
        var plain1 = Text(Generate(prompt, 1));
        var plain2 = Text(Generate(prompt, 2));
        var plain16 = Text(Generate(prompt, 16));

        Assert.Multiple(() =>
        {
            Assert.That(Gen(1, "--window", "generated"), Is.EqualTo(plain1), "the first generated token comes from the unsteered prompt");
            Assert.That(Gen(2, "--window", "generated"), Is.Not.EqualTo(plain2), "the first generated token was not steered: the second did not change");
            Assert.That(Gen(2, "--window", $"positions:{p}-{p}"), Is.EqualTo(Gen(2, "--window", "generated")), $"positions:{p}-{p} is the first generated token");
            Assert.That(Gen(16, "--window", $"positions:0-{p - 1}"), Is.EqualTo(Gen(16, "--window", "prompt")), $"positions:0-{p - 1} is the prompt");
            Assert.That(Gen(16, "--window", "prompt"), Is.Not.EqualTo(plain16), "the prompt window steered nothing");
            Assert.That(new[] { Gen(16), Gen(16, "--window", "prompt"), Gen(16, "--window", "generated") }.Distinct().Count(), Is.EqualTo(3), "windows change what is steered");
        });
    }

    /// <summary>--ablate and --clamp print what the engine generates in process under the same plan, which differs from the plain text.</summary>
    [Test]
    public void AblateAndClampChangeTheTextAsTheEngineDoes()
    {
        const string prompt = "Tim felt";
        var file = SharedModel.VectorFile("tinystories-happy-sad");
        var vector = ControlVectorFile.Read(file);
        var plain = Text(Generate(prompt, 16));
        var ablated = Text(Generate(prompt, 16, "--ablate", file + "@3-4"));
        var clamped = Text(Generate(prompt, 16, "--clamp", file + ":4@4"));

        var ablatePlan = new SteeringPlan([new SteeringTerm(vector, 0f, LayerSet.Range(3, 4), SteeringOperator.Ablate)]);
        var clampPlan = new SteeringPlan([new SteeringTerm(vector, 4f, LayerSet.Of([4]), SteeringOperator.Clamp)]);
        Assert.Multiple(() =>
        {
            Assert.That(plain, Is.EqualTo(prompt + SharedModel.Greedy(prompt, 16) + "\n"));
            Assert.That(ablated, Is.EqualTo(prompt + SharedModel.Greedy(prompt, 16, ablatePlan) + "\n"));
            Assert.That(clamped, Is.EqualTo(prompt + SharedModel.Greedy(prompt, 16, clampPlan) + "\n"));
            Assert.That(ablated, Is.Not.EqualTo(plain), "ablating changed nothing");
            Assert.That(clamped, Is.Not.EqualTo(plain), "clamping changed nothing");
            Assert.That(clamped, Is.Not.EqualTo(ablated));
        });
    }

    /// <summary>As the README's "happy.gguf:0.8 --vector lily.gguf:-0.5@1-3": the files are summed with their strengths on their layers.</summary>
    [Test]
    public void SeveralVectorsAreSummedWithTheirStrengthsAndLayers()
    {
        const string prompt = "One day, a kid";
        var happy = SharedModel.VectorFile("tinystories-happy-sad");
        var girl = SharedModel.VectorFile("tinystories-girl-boy");
        var both = Text(Generate(prompt, 20, "--vector", happy + ":0.8", "--vector", girl + ":-1.5@1-3"));

        // The same steering as one vector, summed here.
        var h = ControlVectorFile.Read(happy);
        var g = ControlVectorFile.Read(girl);
        var sum = new SteeringVector(h.EmbeddingSize, h.Layers.ToDictionary(l => l, l =>
        {
            var d = h.Direction(l).ToArray().Select(x => 0.8f * x).ToArray();
            if (l <= 3)
                for (var k = 0; k < d.Length; k++) d[k] += -1.5f * g.Direction(l)[k];
            return d;
        }));
        var expected = prompt + SharedModel.Greedy(prompt, 20, new SteeringPlan([new SteeringTerm(sum, 1f)])) + "\n";
        Assert.That(both, Is.EqualTo(expected));
        Assert.That(both, Is.Not.EqualTo(Text(Generate(prompt, 20, "--vector", happy + ":0.8"))), "the second vector changed nothing");
        Assert.That(both, Is.Not.EqualTo(Text(Generate(prompt, 20, "--vector", happy + ":0.8", "--vector", girl + ":-1.5"))), "@1-3 changed nothing");
    }

    [Test]
    public void BadPlansAreRefusedInOneLine()
    {
        var vec = SharedModel.VectorFile("tinystories-happy-sad");
        ProcessResult Gen(params string[] extra) => Generate("Tim felt", 16, extra);
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
        // A copy: CLAS parameters are written beside it.
        var vec = SharedModel.CopyVector("tinystories-happy-sad", _dir, "mood.gguf");
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
