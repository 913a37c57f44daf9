using System.CommandLine;
using LlamaSteer.Gguf;
using LlamaSteer.GgufTools.Commands;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;
using NUnit.Framework;

namespace LlamaSteer.GgufTools.Tests;

/// <summary>gguf-tools bake, run in-process through System.CommandLine with captured writers.</summary>
public sealed class BakeCommandTests
{
    private string _folder = "";

    [SetUp]
    public void CreateFolder() => _folder = TestPaths.NewTempDirectory();

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(BakeCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    private string PathOf(string name) => Path.Combine(_folder, name);

    /// <summary>A control-vector file in this test's folder with seeded random directions on <paramref name="layers"/>.</summary>
    private string Vector(string name, int seed, int[] layers, int? embd = null, string hint = "llama") =>
        SharedModel.RandomVectorFile(PathOf(name), seed, layers, embd, hint: hint);

    [Test]
    public void BakesStrengthsAndLayersFromTheCommandLineAndInspectShowsTheRecord()
    {
        var happy = Vector("happy.gguf", 1, [1, 2, 3, 4]);
        var lily = Vector("lily.gguf", 2, [1, 2, 3, 4]);
        var output = PathOf("steered.gguf");

        var (exitCode, stdout, error) = Run("bake", "--model", TestPaths.Model, "--vector", $"{happy}:0.8", "--vector", $"{lily}:-0.3@2-4", "-o", output);

        Assert.That(exitCode, Is.EqualTo(ExitCodes.Success), error);
        Assert.That(error, Is.Empty);
        Assert.That(stdout, Does.Contain("baked happy.gguf x0.8 on layers 1-4").And.Contain("baked lily.gguf x-0.3 on layers 2-4").And.Contain($"wrote {output}"));
        var baked = GgufFile.Read(output);
        var happyVector = ControlVectorFile.Read(happy);
        var lilyVector = ControlVectorFile.Read(lily);
        // Layer 1 has happy alone; layer 3 has both.
        Assert.That(baked.ReadTensorF32(baked.FindTensor("blk.1.ffn_down.bias")!),
            Is.EqualTo(happyVector.Direction(1).ToArray().Select(v => 0.8f * v).ToArray()).Within(1e-6f));
        Assert.That(baked.ReadTensorF32(baked.FindTensor("blk.3.ffn_down.bias")!),
            Is.EqualTo(happyVector.Direction(3).ToArray().Zip(lilyVector.Direction(3).ToArray(), (h, l) => 0.8f * h - 0.3f * l).ToArray()).Within(1e-6f));

        var inspect = Run("inspect", output);
        Assert.That(inspect.ExitCode, Is.EqualTo(ExitCodes.Success), inspect.Error);
        Assert.That(inspect.Output, Does.Contain("llamasteer.baked.names = string[2] [\"happy.gguf\", \"lily.gguf\"]"));
        Assert.That(inspect.Output, Does.Contain($"\"{VectorFingerprint.Of(happyVector)}\", \"{VectorFingerprint.Of(lilyVector)}\""));
        Assert.That(inspect.Output, Does.Contain("llamasteer.baked.strengths = float32[2] [0.8, -0.3]"));
        Assert.That(inspect.Output, Does.Contain("llamasteer.baked.layers = string[2] [\"1-4\", \"2-4\"]"));
    }

    [Test]
    public void BakingTheSameVectorTwiceNeedsForce()
    {
        var happy = Vector("happy.gguf", 1, [2]);
        var once = PathOf("once.gguf");
        Assert.That(Run("bake", "--model", TestPaths.Model, "--vector", happy, "-o", once).ExitCode, Is.EqualTo(ExitCodes.Success));

        var refused = Run("bake", "--model", once, "--vector", $"{happy}:0.5", "-o", PathOf("twice.gguf"));
        Assert.That(refused.ExitCode, Is.EqualTo(ExitCodes.InvalidFile));
        Assert.That(refused.Error, Does.StartWith("gguf-tools: ").And.Contain("already has happy.gguf baked in").And.Contain("--force"));
        Assert.That(File.Exists(PathOf("twice.gguf")), Is.False);

        var forced = Run("bake", "--model", once, "--vector", $"{happy}:0.5", "-o", PathOf("twice.gguf"), "--force");
        Assert.That(forced.ExitCode, Is.EqualTo(ExitCodes.Success), forced.Error);
        Assert.That(forced.Output, Does.Contain("added to the model's own"));
    }

    private static IEnumerable<TestCaseData> BadInputs()
    {
        // (arguments with {model}, {happy}, {narrow}, {out}, {existing} placeholders, exit code, what the message names)
        yield return new TestCaseData(new[] { "--vector", "{narrow}" }, ExitCodes.InvalidFile, "another model").SetName("{m}(A vector for another n_embd)");
        yield return new TestCaseData(new[] { "--vector", "{gemma}" }, ExitCodes.InvalidFile, "'gemma2'").SetName("{m}(A vector for another architecture)");
        yield return new TestCaseData(new[] { "--vector", "{happy}@7" }, ExitCodes.InvalidInput, "--vector").SetName("{m}(A layer the model does not have)");
        yield return new TestCaseData(new[] { "--vector", "{happy}@3" }, ExitCodes.InvalidInput, "no direction on the chosen layers 3").SetName("{m}(A layer the vector does not have)");
        yield return new TestCaseData(new[] { "--vector", "{happy}:strong" }, ExitCodes.InvalidInput, "'strong' is not a strength").SetName("{m}(A strength that is no number)");
        yield return new TestCaseData(new[] { "--vector", "{happy}:NaN" }, ExitCodes.InvalidInput, "finite").SetName("{m}(A strength that is not finite)");
        yield return new TestCaseData(new[] { "--vector", "{happy}", "-o", "{model}" }, ExitCodes.InvalidInput, "is the model").SetName("{m}(The output is the model)");
        yield return new TestCaseData(new[] { "--vector", "{happy}", "-o", "{happy}", "--overwrite" }, ExitCodes.InvalidInput, "is the vector").SetName("{m}(The output is a vector)");
        yield return new TestCaseData(new[] { "--vector", "{happy}", "-o", "{existing}" }, ExitCodes.InvalidInput, "already exists").SetName("{m}(The output exists)");
        yield return new TestCaseData(new[] { "--vector", "{missing}" }, ExitCodes.InvalidFile, "no such file").SetName("{m}(A vector file that is missing)");
        yield return new TestCaseData(new[] { "--vector", "{model}" }, ExitCodes.InvalidFile, "not a control vector").SetName("{m}(A model passed as a vector)");
        yield return new TestCaseData(new[] { "--vector", "{happy}", "--model", "{happy}" }, ExitCodes.InvalidFile, "baking works for: bloom").SetName("{m}(A control vector passed as the model)");
    }

    [TestCaseSource(nameof(BadInputs))]
    public void BadInputIsOneLineWithItsExitCodeAndNothingIsWritten(string[] arguments, int exitCode, string named)
    {
        var model = PathOf("model.gguf");
        File.Copy(TestPaths.Model, model);
        var existing = PathOf("existing.gguf");
        File.WriteAllText(existing, "saved work");
        var paths = new Dictionary<string, string>
        {
            ["{model}"] = model,
            ["{happy}"] = Vector("happy.gguf", 1, [1, 2]),
            ["{narrow}"] = Vector("narrow.gguf", 2, [1], embd: 32),
            ["{gemma}"] = Vector("gemma.gguf", 3, [1], hint: "gemma2"),
            ["{missing}"] = PathOf("missing.gguf"),
            ["{existing}"] = existing,
        };
        var before = Directory.GetFiles(_folder).ToDictionary(f => f, File.ReadAllBytes);
        var args = new List<string> { "bake" };
        if (!arguments.Contains("--model")) args.AddRange(["--model", model]);
        if (!arguments.Contains("-o")) args.AddRange(["-o", PathOf("out.gguf")]);
        args.AddRange(arguments.Select(a => paths.Aggregate(a, (text, p) => text.Replace(p.Key, p.Value))));

        var (code, stdout, error) = Run(args.ToArray());

        Assert.That(code, Is.EqualTo(exitCode), error);
        Assert.That(error, Does.StartWith("gguf-tools: ").And.Contain(named));
        Assert.That(error.TrimEnd('\n', '\r'), Does.Not.Contain('\n'), "one line");
        Assert.That(stdout, Is.Empty);
        Assert.That(Directory.GetFiles(_folder).Order(), Is.EqualTo(before.Keys.Order()), "no file created");
        foreach (var (file, bytes) in before) Assert.That(File.ReadAllBytes(file), Is.EqualTo(bytes), $"{file} unchanged");
    }
}
