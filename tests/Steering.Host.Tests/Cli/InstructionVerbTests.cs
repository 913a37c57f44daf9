using System.Text.Json;
using LlamaSteer.Evaluation.Instructions;
using LlamaSteer.Gguf;
using LlamaSteer.Synthesis;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Host.Tests.Cli;

/// <summary>
/// Instruction steering through the real executable: <c>generate --adjust-to-target</c>, eval's adjust-to-target
/// operator, <c>eval --instruction-set</c> with <c>--chat</c> on a synthesized model with a chat template
/// (plumbing: stories260K has none), and bad input refused before any decoding.
/// </summary>
[TestFixture]
public class InstructionVerbTests
{
    private const string Prompt = "Once upon a time, there was a big tree in the park.";
    private string _dir = null!;
    private string _dog = null!;
    private string _set = null!;

    [OneTimeSetUp]
    public void TrainAnInstructionVector()
    {
        _dir = TestPaths.NewTempDirectory();
        var shipped = InstructionSet.Load(ShippedSet);
        var prompts = Path.Combine(_dir, "prompts.txt");
        File.WriteAllLines(prompts, shipped.Train);
        _dog = Path.Combine(_dir, "dog.gguf");
        var r = CliRunner.Run(["train", "-m", TestPaths.Model, "-t", "1", "--instruction", shipped["animal"].Text, "--prompts", prompts, "--layers", "3-4", "-o", _dog]);
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        _set = WriteSet("slice.json", shipped.Train.Take(3).Concat(shipped.Validation.Take(2)).Concat(shipped.Test.Take(2)), 3, 2, """["include:Tom"]""");
    }

    [OneTimeTearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    private static string ShippedSet => Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "instruction-sets", "tinystories.json");

    private string WriteSet(string name, IEnumerable<string> prompts, int train, int validation, string checks)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, $$"""
            {"prompts": {{JsonSerializer.Serialize(prompts)}}, "split": {"train": {{train}}, "validation": {{validation}}},
             "instructions": [{"name": "named-character", "instruction": "There was a boy named Tom.", "checks": {{checks}}},
                              {"name": "animal", "instruction": "There was a little dog.", "checks": ["any-of:dog,cat"]}]}
            """);
        return path;
    }

    private static ProcessResult Run(params string[] args) => CliRunner.Run([args[0], "-m", TestPaths.Model, "-t", "1", .. args[1..]]);

    private static void AssertRefused(ProcessResult r, int exitCode, string mentions)
    {
        Assert.That(r.ExitCode, Is.EqualTo(exitCode), $"stdout: {r.Stdout}\nstderr: {r.Stderr}");
        Assert.That(r.Stderr, Does.Contain("llamasteer: ").And.Contain(mentions));
        Assert.That(r.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1), "one line");
        Assert.That(r.Stdout, Is.Empty, "nothing decoded or printed");
    }

    [Test]
    public void AdjustToTargetClampsToThePositivesMeanStoredInTheFile()
    {
        // The same steering spelt out independently: --clamp to the calibration read from the file.
        var target = ControlVectorFile.Read(_dog).Provenance.Calibration[4].PositiveMean;
        var adjusted = Run("generate", "-p", Prompt, "--temp", "0", "-n", "24", "--adjust-to-target", _dog + "@4");
        var clamped = Run("generate", "-p", Prompt, "--temp", "0", "-n", "24", "--clamp", $"{_dog}:{target.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}@4");
        var plain = Run("generate", "-p", Prompt, "--temp", "0", "-n", "24");
        Assert.That(adjusted.ExitCode, Is.Zero, adjusted.Stderr);
        Assert.That(adjusted.Stdout, Is.EqualTo(clamped.Stdout));
        Assert.That(adjusted.Stdout, Is.Not.EqualTo(plain.Stdout), "steering on layer 4 changes the greedy continuation");
    }

    [Test]
    public void AdjustToTargetRefusesAVectorWithoutCalibration()
    {
        var bare = Path.Combine(_dir, "bare.gguf");
        var dog = ControlVectorFile.Read(_dog);
        ControlVectorFile.Write(new SteeringVector(dog.EmbeddingSize, new Dictionary<int, float[]> { [4] = dog.Direction(4).ToArray() }), bare);
        AssertRefused(Run("generate", "-p", Prompt, "--adjust-to-target", bare), 2, "has no calibration for layer(s) 4");
        AssertRefused(Run("generate", "-p", Prompt, "--adjust-to-target", _dog + ":2@4"), 2, "without a strength");
        AssertRefused(Run("eval", "--vector", bare, "--adjust-to-target", "--layers", "4", "--prompt", "The dog", "--keywords", "dog"), 2, "has no calibration");
    }

    [Test]
    public void EvalSweepsAdjustToTargetBesideFixedStrengths()
    {
        var output = Path.Combine(_dir, "operator", "report");
        var r = Run("eval", "--vector", _dog, "--adjust-to-target", "--layers", "4", "--strengths", "0,1,2", "--prompt", Prompt, "-n", "8", "--samples", "1", "--keywords", "dog", "-o", output);
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        using var json = JsonDocument.Parse(File.ReadAllText(output + ".json"));
        var cells = json.RootElement.GetProperty("cells").EnumerateArray()
            .Select(c => (c.GetProperty("candidate").GetString(), c.GetProperty("strength").GetSingle())).ToList();
        Assert.That(cells, Is.EquivalentTo(new[] { ("dog.gguf (fixed)", 0f), ("dog.gguf (fixed)", 1f), ("dog.gguf (fixed)", 2f), ("dog.gguf (adjust-to-target)", 1f) }));
        Assert.That(r.Stdout, Does.Contain("dog.gguf (adjust-to-target)"));
    }

    [Test]
    public void ChatPathRunsTheProcedureOnASynthesizedModelWithATemplate()
    {
        // stories260K's tokenizer with a chatml template, on random weights: plumbing, not behaviour.
        var donor = Path.Combine(_dir, "donor.gguf");
        var withTemplate = GgufWriter.From(GgufFile.Read(TestPaths.Model));
        withTemplate.SetString("tokenizer.chat_template", "{% for m in messages %}{{'<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n'}}{% endfor %}{% if add_generation_prompt %}{{'<|im_start|>assistant\\n'}}{% endif %}");
        withTemplate.WriteTo(donor);
        var model = Path.Combine(_dir, "chat.gguf");
        SyntheticModelWriter.Write(new SyntheticModelSpec(new ModelShape(64, 3, 4, 2, 128, 600)) { Seed = 3 }, GgufFile.Read(donor), model);

        var output = Path.Combine(_dir, "chat", "report");
        var r = CliRunner.Run(["eval", "-m", model, "-t", "1", "--instruction-set", _set, "--chat", "--samples", "1", "-n", "4", "--strengths", "1", "--compose-instructions", "named-character,animal", "-o", output]);
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        Assert.That(r.Stderr, Does.Contain("layers 1-2"), "candidates from n/5 to the last layer of a 3-layer model");
        using var json = JsonDocument.Parse(File.ReadAllText(output + ".json"));
        var instructions = json.RootElement.GetProperty("instructions").EnumerateArray().ToList();
        Assert.That(instructions.Select(i => i.GetProperty("name").GetString()), Is.EqualTo(new[] { "named-character", "animal" }));
        Assert.That(instructions[0].GetProperty("validation").GetArrayLength(), Is.EqualTo(4), "layers 1 and 2, adjust-to-target and add 1");
        Assert.That(instructions[0].GetProperty("inPrompt").GetProperty("generations").GetArrayLength(), Is.EqualTo(2));
        Assert.That(json.RootElement.GetProperty("compositions")[0].GetProperty("conditions").GetArrayLength(), Is.EqualTo(6));

        // The same set on stories260K, which has no template: refused before decoding.
        AssertRefused(Run("eval", "--instruction-set", _set, "--chat"), 1, "has no chat template");
    }

    [Test]
    public void BadInstructionSetInputIsRefusedBeforeDecoding()
    {
        var prompts = InstructionSet.Load(ShippedSet).Train.Take(5).ToArray();
        AssertRefused(Run("eval", "--instruction-set", WriteSet("nochecker.json", prompts, 2, 1, "[]")), 1, "instruction 'named-character' has no checker");
        AssertRefused(Run("eval", "--instruction-set", WriteSet("badcheck.json", prompts, 2, 1, """["max-words:many"]""")), 1, "needs a whole number");
        AssertRefused(Run("eval", "--instruction-set", WriteSet("noval.json", prompts, 4, 0, """["include:Tom"]""")), 1, "the split leaves no validation prompts");
        AssertRefused(Run("eval", "--instruction-set", Path.Combine(_dir, "missing.json")), 1, "no such instruction set file");
        AssertRefused(Run("eval", "--instruction-set", _dir), 1, $"{_dir}: cannot be read: ");
        AssertRefused(Run("eval", "--instruction-set", WriteSet("huge.json", prompts, 2000000000, 2000000000, """["include:Tom"]""")), 1, "the split leaves no test prompts: train 2000000000 + validation 2000000000 of 5 prompts");
        AssertRefused(Run("eval", "--instruction-set", _set, "--compose-instructions", "named-character,unicorn", "--strengths", "1"), 2, "has no instruction 'unicorn'");
        AssertRefused(Run("eval", "--instruction-set", _set, "--compose-instructions", "named-character,animal"), 2, "give --strengths");
        AssertRefused(Run("eval", "--instruction-set", _set, "--vector", _dog), 2, "drop --vector");
        AssertRefused(Run("eval", "--instruction-set", _set, "--no-adjust-to-target"), 2, "leaves nothing to sweep");
        AssertRefused(Run("eval", "--instruction-set", _set, "--check", "json", "--keywords", "dog"), 2, "--keywords, --check do(es) not apply to --instruction-set");
    }
}
