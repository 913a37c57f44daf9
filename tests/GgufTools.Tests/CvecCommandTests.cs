using System.CommandLine;
using LlamaSteer.Capture;
using LlamaSteer.Gguf;
using LlamaSteer.Inference;
using LlamaSteer.GgufTools.Commands;
using LlamaSteer.Steering;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;
using NUnit.Framework;

namespace LlamaSteer.GgufTools.Tests;

/// <summary>gguf-tools cvec, run in-process through System.CommandLine with captured writers.</summary>
public sealed class CvecCommandTests
{
    private string _folder = "";

    [SetUp]
    public void CreateFolder() => _folder = TestPaths.NewTempDirectory();

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(CvecCommand.Create());
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    private string PathOf(string name) => Path.Combine(_folder, name);

    /// <summary>A control-vector file in this test's folder with seeded random directions of the given scale on the given layers.</summary>
    private string Vector(string name, int seed, int[] layers, int? embd = null, float scale = 1f, VectorProvenance? provenance = null) =>
        SharedModel.RandomVectorFile(PathOf(name), seed, layers, embd, scale, provenance: provenance);

    private static float[] Values(SteeringVector v, int layer) => v.Direction(layer).ToArray();

    [Test]
    public void ScaleNeverWritesAFileThatReadersRefuse()
    {
        var input = Vector("happy.gguf", 1, [1, 2]);
        var output = PathOf("huge.gguf");

        var (exitCode, _, error) = Run("cvec", "scale", input, "--factor", "1e6", "-o", output);

        Assert.That(exitCode, Is.EqualTo(2), error);
        Assert.That(error.TrimEnd(), Does.StartWith("gguf-tools: The direction of layer 1 would have norm").And.Contain("beyond the 1E+05 a control-vector file may hold"));
        Assert.That(File.Exists(output), Is.False);
    }

    [Test]
    public void ScaleBy2DoublesEveryValue()
    {
        var input = Vector("happy.gguf", 1, [1, 2, 3, 4]);
        var output = PathOf("double.gguf");

        var (exitCode, stdout, error) = Run("cvec", "scale", input, "--factor", "2", "-o", output);

        Assert.That(exitCode, Is.Zero, error);
        Assert.That(error, Is.Empty);
        Assert.That(stdout, Does.Contain(output));
        var before = ControlVectorFile.Read(input);
        var after = ControlVectorFile.Read(output);
        Assert.That(after.Layers, Is.EqualTo(before.Layers));
        foreach (var layer in before.Layers)
            Assert.That(Values(after, layer), Is.EqualTo(Values(before, layer).Select(v => 2 * v).ToArray()), $"layer {layer}");
        Assert.That(after.Provenance.Method, Is.EqualTo("scale"));
        Assert.That(after.Provenance.Options, Is.EqualTo($"2*{input}"));
    }

    [Test]
    public void NegativeFactorsAndNegateFlipTheDirections()
    {
        var input = Vector("happy.gguf", 1, [2, 3]);

        var scaled = Run("cvec", "scale", input, "--factor", "-0.5", "-o", PathOf("half.gguf"));
        var negated = Run("cvec", "negate", input, "-o", PathOf("sad.gguf"));

        Assert.That(scaled.ExitCode, Is.Zero, scaled.Error);
        Assert.That(negated.ExitCode, Is.Zero, negated.Error);
        var before = ControlVectorFile.Read(input);
        foreach (var layer in before.Layers)
        {
            Assert.That(Values(ControlVectorFile.Read(PathOf("half.gguf")), layer), Is.EqualTo(Values(before, layer).Select(v => -0.5f * v).ToArray()));
            Assert.That(Values(ControlVectorFile.Read(PathOf("sad.gguf")), layer), Is.EqualTo(Values(before, layer).Select(v => -v).ToArray()));
        }
    }

    [Test]
    public void ComposeOfWeightedFilesEqualsTheManualSum()
    {
        var happy = Vector("happy.gguf", 1, [1, 2, 3]);
        var lily = Vector("lily.gguf", 2, [2, 3, 4]);
        var output = PathOf("mix.gguf");

        var (exitCode, _, error) = Run("cvec", "compose", $"{happy}:0.8", $"{lily}:-0.5", "-o", output);

        Assert.That(exitCode, Is.Zero, error);
        var a = ControlVectorFile.Read(happy);
        var b = ControlVectorFile.Read(lily);
        var mix = ControlVectorFile.Read(output);
        Assert.That(mix.Layers, Is.EqualTo(new[] { 1, 2, 3, 4 }));
        Assert.That(Values(mix, 1), Is.EqualTo(Values(a, 1).Select(x => 0.8f * x).ToArray()), "layer 1 is only in happy");
        Assert.That(Values(mix, 4), Is.EqualTo(Values(b, 4).Select(y => -0.5f * y).ToArray()), "layer 4 is only in lily");
        foreach (var layer in new[] { 2, 3 })
            Assert.That(Values(mix, layer), Is.EqualTo(Values(a, layer).Zip(Values(b, layer), (x, y) => 0.8f * x + -0.5f * y).ToArray()), $"layer {layer}");
        Assert.That(mix.Provenance.Method, Is.EqualTo("compose"));
        Assert.That(mix.Provenance.Options, Is.EqualTo($"0.8*{happy} + -0.5*{lily}"));
    }

    [Test]
    public void AddAndAFileWithoutWeightCountItOnce()
    {
        var happy = Vector("happy.gguf", 1, [1, 2]);
        var lily = Vector("lily.gguf", 2, [1, 2]);

        var added = Run("cvec", "add", happy, lily, "-o", PathOf("add.gguf"));
        var composed = Run("cvec", "compose", happy, $"{lily}:1", "-o", PathOf("compose.gguf"));

        Assert.That(added.ExitCode, Is.Zero, added.Error);
        Assert.That(composed.ExitCode, Is.Zero, composed.Error);
        var a = ControlVectorFile.Read(happy);
        var b = ControlVectorFile.Read(lily);
        foreach (var layer in a.Layers)
        {
            var sum = Values(a, layer).Zip(Values(b, layer), (x, y) => x + y).ToArray();
            Assert.That(Values(ControlVectorFile.Read(PathOf("add.gguf")), layer), Is.EqualTo(sum));
            Assert.That(Values(ControlVectorFile.Read(PathOf("compose.gguf")), layer), Is.EqualTo(sum));
        }
    }

    [Test]
    public void ComposeWithLayersKeepsOnlyThoseLayers()
    {
        var happy = Vector("happy.gguf", 1, [1, 2, 3, 4]);
        var output = PathOf("middle.gguf");

        var (exitCode, _, error) = Run("cvec", "compose", $"{happy}:1.5", "--layers", "2-3", "-o", output);

        Assert.That(exitCode, Is.Zero, error);
        var middle = ControlVectorFile.Read(output);
        Assert.That(middle.Layers, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(Values(middle, 3), Is.EqualTo(Values(ControlVectorFile.Read(happy), 3).Select(x => 1.5f * x).ToArray()));
    }

    [Test]
    public void TheOutputHasTheLlamaCppLayoutAndLlamaCppAcceptsIt()
    {
        var happy = Vector("happy.gguf", 1, [1, 3]);
        var lily = Vector("lily.gguf", 2, [2]);
        var output = PathOf("mix.gguf");
        Assert.That(Run("cvec", "compose", $"{happy}:0.8", $"{lily}:-0.5", "-o", output).ExitCode, Is.Zero);

        var file = GgufFile.Read(output);
        Assert.That(file.Architecture, Is.EqualTo("controlvector"));
        Assert.That(file.GetString("controlvector.model_hint"), Is.EqualTo("llama"));
        Assert.That(file.GetInt64("controlvector.layer_count"), Is.EqualTo(3));
        Assert.That(file.Tensors.Select(t => t.Name), Is.EqualTo(new[] { "direction.1", "direction.2", "direction.3" }));
        Assert.That(file.Tensors.All(t => t.Type == GgmlType.F32 && t.Dimensions.SequenceEqual([64L])));

        // llama_set_adapter_cvec checks n_embd and the layer range against the model, as --control-vector does.
        var model = SharedModel.Model;
        using var context = model.CreateContext(new ContextOptions { Threads = 1 });
        var buffer = ControlVectorAdapter.Build([new VectorTerm(ControlVectorFile.Read(output, model.EmbeddingSize), 1f)], model.EmbeddingSize, model.LayerCount);
        using var lease = context.Acquire();
        Assert.That(() => lease.SetControlVector(buffer.Data, buffer.FirstLayer, buffer.LastLayer), Throws.Nothing);
        Assert.That((buffer.FirstLayer, buffer.LastLayer), Is.EqualTo((1, 3)));
    }

    [Test]
    public void ShowPrintsLayersNormsProvenanceAndCalibration()
    {
        var provenance = new VectorProvenance
        {
            Method = "mean", DatasetName = "happy-sad", DatasetSha256 = "ab12", ModelFile = "stories260K.gguf", ModelEmbeddingSize = 64,
            Options = "--layers 1-2", Calibration = new Dictionary<int, LayerCalibration> { [2] = new(1.5f, -0.5f, 0.25f) },
        };
        var path = Vector("happy.gguf", 1, [1, 2], provenance: provenance);
        var vector = ControlVectorFile.Read(path);

        var (exitCode, output, error) = Run("cvec", "show", path);

        Assert.That(exitCode, Is.Zero, error);
        var lines = Lines(output);
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.Some.Matches<string>(l => l.Trim() == "layers      1-2 (2)"));
            Assert.That(lines, Has.Some.Matches<string>(l => l.Trim() == "method      mean"));
            Assert.That(lines, Has.Some.Matches<string>(l => l.Trim() == "dataset     happy-sad (sha256 ab12)"));
            Assert.That(lines, Has.Some.Matches<string>(l => l.Trim() == "model       stories260K.gguf (n_embd 64)"));
            Assert.That(lines, Has.Some.Matches<string>(l => l.Trim() == "options     --layers 1-2"));
            var layer2 = lines.Single(l => l.TrimStart().StartsWith("2 "));
            Assert.That(layer2.Split(' ', StringSplitOptions.RemoveEmptyEntries),
                Is.EqualTo(new[] { "2", vector.Norm(2).ToString("G4"), "1.5", "-0.5", provenance.Calibration[2].Separation.ToString("G4") }));
            var layer1 = lines.Single(l => l.TrimStart().StartsWith("1 "));
            Assert.That(layer1.Split(' ', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "1", vector.Norm(1).ToString("G4"), "-", "-", "-" }));
        });
    }

    [Test]
    public void BadInputsExit2WithOneLineNamingTheProblem()
    {
        var happy = Vector("happy.gguf", 1, [1, 2]);
        var narrow = Vector("narrow.gguf", 2, [1, 2], embd: 32);
        var missing = PathOf("missing.gguf");
        var layerZero = PathOf("zero.gguf");
        new GgufWriter().SetString("general.architecture", "controlvector").AddTensor("direction.0", Enumerable.Repeat(1f, 64).ToArray(), 64).WriteTo(layerZero);
        var output = PathOf("out.gguf");

        var cases = new (string[] Args, string Problem)[]
        {
            (["cvec", "scale", missing, "--factor", "2", "-o", output], $"gguf-tools: {missing}: no such file"),
            (["cvec", "compose", happy, TestPaths.Model, "-o", output], $"gguf-tools: {TestPaths.Model}: general.architecture is 'llama', not 'controlvector'"),
            (["cvec", "add", happy, narrow, "-o", output], $"gguf-tools: {narrow} has n_embd 32 but {happy} has 64"),
            (["cvec", "negate", layerZero, "-o", output], $"gguf-tools: {layerZero}: tensor 'direction.0'"),
            (["cvec", "compose", happy, "--layers", "5-6", "-o", output], "gguf-tools: None of the layers 5-6 is in any input"),
        };
        foreach (var (args, problem) in cases)
        {
            var (exitCode, stdout, error) = Run(args);
            Assert.That(exitCode, Is.EqualTo(2), string.Join(" ", args));
            Assert.That(Lines(error), Has.Length.EqualTo(1), error);
            Assert.That(error, Does.StartWith(problem));
            Assert.That(stdout, Is.Empty);
        }
        Assert.That(File.Exists(output), Is.False, "nothing written");
    }

    [Test]
    public void BadCommandLinesExit1WithOneLineNamingTheProblem()
    {
        var happy = Vector("happy.gguf", 1, [1, 2]);
        var original = File.ReadAllBytes(happy);
        var output = PathOf("out.gguf");

        var cases = new (string[] Args, string Problem)[]
        {
            (["cvec", "compose", $"{happy}:abc", "-o", output], $"gguf-tools: the weight of {happy} is 'abc', not a number"),
            (["cvec", "compose", $"{happy}:0,5", "-o", output], $"gguf-tools: the weight of {happy} is '0,5', not a number"),
            (["cvec", "compose", $"{happy}:NaN", "-o", output], $"gguf-tools: the weight of {happy} is 'NaN', not a finite number"),
            (["cvec", "compose", $"{happy}:1e40", "-o", output], $"gguf-tools: the weight of {happy} is '1e40', not a finite number"),
            (["cvec", "compose", $"{happy}:", "-o", output], $"gguf-tools: the weight of {happy} is empty"),
            (["cvec", "scale", happy, "--factor", "Infinity", "-o", output], "gguf-tools: --factor is 'Infinity', not a finite number"),
            (["cvec", "scale", happy, "--factor", "0", "-o", output], "gguf-tools: --factor 0 gives a zero vector"),
            (["cvec", "compose", happy, "--layers", "4-2", "-o", output], "gguf-tools: --layers: Layer range '4-2'"),
            (["cvec", "scale", happy, "--factor", "2", "-o", happy], $"gguf-tools: the output {happy} is the input {happy}; write elsewhere, or pass --force"),
            (["cvec", "compose", PathOf("other.gguf"), $"{happy}:2", "-o", happy], $"gguf-tools: the output {happy} is the input {happy}"),
        };
        foreach (var (args, problem) in cases)
        {
            var (exitCode, _, error) = Run(args);
            Assert.That(exitCode, Is.EqualTo(1), string.Join(" ", args));
            Assert.That(Lines(error), Has.Length.EqualTo(1), error);
            Assert.That(error, Does.StartWith(problem));
        }
        Assert.That(File.ReadAllBytes(happy), Is.EqualTo(original), "the input is untouched");
        Assert.That(File.Exists(output), Is.False, "nothing written");

        var usage = Run("cvec", "scale", happy, "-o", output);
        Assert.That(usage.ExitCode, Is.EqualTo(1), "--factor is required");
        Assert.That(usage.Error, Does.Contain("--factor"));
    }

    [Test]
    public void ForceReplacesAnInputWithTheResult()
    {
        var happy = Vector("happy.gguf", 1, [1, 2]);
        var before = ControlVectorFile.Read(happy);

        var (exitCode, _, error) = Run("cvec", "scale", happy, "--factor", "3", "-o", happy, "--force");

        Assert.That(exitCode, Is.Zero, error);
        var after = ControlVectorFile.Read(happy);
        Assert.That(Values(after, 2), Is.EqualTo(Values(before, 2).Select(v => 3 * v).ToArray()));
    }

    [Test]
    public void DifferentModelHintsWarnOnStderrAndCompose()
    {
        var happy = Vector("happy.gguf", 1, [1, 2]);
        var other = SharedModel.RandomVectorFile(PathOf("qwen.gguf"), 2, [1], scale: 0.1f, hint: "qwen2");

        var (exitCode, _, error) = Run("cvec", "add", happy, other, "-o", PathOf("out.gguf"));

        Assert.That(exitCode, Is.Zero);
        Assert.That(Lines(error), Has.Length.EqualTo(1));
        Assert.That(error, Does.StartWith($"gguf-tools: warning: {other} has model hint 'qwen2' but {happy} has 'llama'"));
    }

    [Test]
    public void CheckPassesAVectorThatFitsTheModel()
    {
        var fit = Vector("fit.gguf", 1, [1, 2, 3, 4], scale: 0.01f);
        var vector = ControlVectorFile.Read(fit);

        var (exitCode, output, error) = Run("cvec", "check", "--model", TestPaths.Model, fit);

        Assert.That(exitCode, Is.Zero, output + error);
        Assert.That(error, Is.Empty);
        var residual = ResidualNormsFromCapturedRows();
        var lines = Lines(output);
        Assert.That(lines, Has.Some.EqualTo($"{fit}: fits (n_embd 64, layers 1-4)"));
        foreach (var layer in vector.Layers)
        {
            // Printed to 4 significant digits: compare the numbers to that precision rather than the digits.
            var line = lines.Single(l => l.StartsWith($"{fit} layer {layer}: norm ", StringComparison.Ordinal));
            var m = System.Text.RegularExpressions.Regex.Match(line, @": norm (?<norm>\S+), residual norm (?<residual>\S+), ratio (?<ratio>\S+), ok$");
            Assert.That(m.Success, Is.True, line);
            double Number(string group) => double.Parse(m.Groups[group].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(Number("norm"), Is.EqualTo(vector.Norm(layer)).Within(0.1).Percent, line);
            Assert.That(Number("residual"), Is.EqualTo(residual[layer]).Within(0.1).Percent, line);
            Assert.That(Number("ratio"), Is.EqualTo(vector.Norm(layer) / residual[layer]).Within(0.1).Percent, line);
        }
    }

    /// <summary>
    /// What check compares against, worked out here from the rows themselves: every position of the neutral text captured
    /// after each steerable layer, the first position (the attention sink) dropped, the L2 norms averaged.
    /// </summary>
    private static Dictionary<int, float> ResidualNormsFromCapturedRows()
    {
        var model = SharedModel.Model;
        var tokens = model.Tokenize(ResidualNorms.NeutralText);
        var layers = LayerSet.Range(1, model.LayerCount - 1);
        using var capturer = new ActivationCapturer(model, 1, maxTokensPerDecode: Math.Max(64, tokens.Length), maxSequencesPerDecode: 1);
        var captured = capturer.Capture([new CaptureItem(tokens, CompletionStart: 0)], layers, CapturePositions.AllTokens);
        Assert.That(captured.RowCount, Is.EqualTo(tokens.Length));
        var norms = new Dictionary<int, float>();
        foreach (var layer in layers.Layers)
        {
            double sum = 0;
            for (var r = 1; r < captured.RowCount; r++)
            {
                double squares = 0;
                foreach (var x in captured.Row(layer, r)) squares += (double)x * x;
                sum += Math.Sqrt(squares);
            }
            norms[layer] = (float)(sum / (captured.RowCount - 1));
        }
        return norms;
    }

    [Test]
    public void CheckFailsANarrowVectorALayerOutsideTheModelAndAnOversizedDirection()
    {
        var fit = Vector("fit.gguf", 1, [1, 2], scale: 0.01f);
        var narrow = Vector("narrow.gguf", 2, [1, 2], embd: 32, scale: 0.01f);
        var deep = Vector("deep.gguf", 3, [2, 7], scale: 0.01f);
        var huge = Vector("huge.gguf", 4, [2], scale: 1e4f);
        var model = PathOf("model-as-vector.gguf");
        File.Copy(TestPaths.Model, model);

        var (exitCode, output, error) = Run("cvec", "check", "--model", TestPaths.Model, fit, narrow, deep, huge, model);

        Assert.That(exitCode, Is.EqualTo(2), output + error);
        Assert.That(error, Is.Empty);
        var lines = Lines(output);
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.Some.StartsWith($"{fit}: fits"));
            Assert.That(lines, Has.Some.EqualTo($"{narrow}: does not fit: n_embd is 32 but the model's is 64: it was made for another model"));
            Assert.That(lines, Has.Some.EqualTo($"{narrow} layer 1: norm {ControlVectorFile.Read(narrow).Norm(1):G4}, not compared with the model"));
            Assert.That(lines, Has.Some.EqualTo($"{deep}: does not fit (layers 7)"));
            Assert.That(lines, Has.Some.StartsWith($"{deep} layer 2: ").And.Some.EndsWith(", ok"));
            Assert.That(lines, Has.Some.Matches<string>(l => l.StartsWith($"{deep} layer 7: norm ") && l.EndsWith("outside the model: the model's steerable layers are 1-4")));
            Assert.That(lines, Has.Some.EqualTo($"{huge}: does not fit (layers 2)"));
            Assert.That(lines, Has.Some.Matches<string>(l => l.StartsWith($"{huge} layer 2: ") && l.Contains("implausible")));
            Assert.That(lines, Has.Some.StartsWith($"{model}: does not fit: general.architecture is 'llama'"));
        });
    }

    [Test]
    public void CheckWarnsAboutAModelHintForAnotherArchitectureButPasses()
    {
        var other = SharedModel.RandomVectorFile(PathOf("qwen.gguf"), 1, [1], scale: 0.001f, hint: "qwen2");

        var (exitCode, output, _) = Run("cvec", "check", "--model", TestPaths.Model, other);

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(Lines(output), Has.Some.EqualTo($"{other}: warning: model hint 'qwen2' but the model is 'llama'"));
    }

    [Test]
    public void CheckWithAMissingModelExits2WithOneLine()
    {
        var fit = Vector("fit.gguf", 1, [1], scale: 0.01f);
        var missing = PathOf("no-model.gguf");

        var (exitCode, output, error) = Run("cvec", "check", "--model", missing, fit);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(output, Is.Empty);
        Assert.That(Lines(error), Has.Length.EqualTo(1));
        Assert.That(error, Does.StartWith($"gguf-tools: Model file not found: {missing}"));
    }
}
