using LlamaSteer.Gguf;
using LlamaSteer.Testing;

namespace LlamaSteer.Host.Tests.Cli;

/// <summary><c>llamasteer train --method bipo</c> end to end, and each bad input of the issue: one line, the right exit code, nothing written.</summary>
[TestFixture]
public class BipoVerbTests
{
    private const string Good = """{"prompt": "Lily had a red ball.", "chosen": " She was happy and smiled.", "rejected": " She was sad and cried."}""";
    private string _dir = null!;

    [SetUp] public void MakeDir() => _dir = TestPaths.NewTempDirectory();
    [TearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    private string Prefs(params string[] lines)
    {
        var path = Path.Combine(_dir, "prefs.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    private ProcessResult Bipo(string dataset, params string[] extra) =>
        CliRunner.Run(["train", "-m", TestPaths.Model, "-t", "1", "--method", "bipo", "--dataset", dataset, "-o", Path.Combine(_dir, "v.gguf"), .. extra]);

    private void AssertCleanFailure(ProcessResult r, int exitCode, string mentions)
    {
        Assert.That(r.ExitCode, Is.EqualTo(exitCode), $"stdout: {r.Stdout}\nstderr: {r.Stderr}");
        Assert.That(r.Stderr, Does.Contain(mentions));
        Assert.That(r.Stderr.Trim().Split('\n').Count(l => l.StartsWith("llamasteer:", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(r.Stderr, Does.Not.Contain("   at "), "stack trace printed");
        Assert.That(File.Exists(Path.Combine(_dir, "v.gguf")), Is.False, "nothing is written");
    }

    [Test]
    public void TrainsAVectorFileThatLoadsAsAControlVector()
    {
        var r = Bipo("tinystories-happy-sad", "--layers", "3", "--epochs", "1", "--lr", "1e-2", "--warmup", "1");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Stdout, Does.Contain("held-out preference margin"));
        var file = GgufFile.Read(Path.Combine(_dir, "v.gguf"));
        Assert.That(file.Architecture, Is.EqualTo("controlvector"));
        Assert.That(file.GetString("llamasteer.method"), Is.EqualTo("bipo"));
        Assert.That(file.Tensors.Select(t => t.Name), Is.EqualTo(new[] { "direction.3" }));
    }

    [Test]
    public void MissingField() => AssertCleanFailure(Bipo(Prefs(Good, """{"prompt": "Tim ran.", "chosen": " He won."}"""), "--layers", "2"), 1, "prefs.jsonl: line 2: missing field 'rejected'");

    [Test]
    public void ChosenEqualsRejected() =>
        AssertCleanFailure(Bipo(Prefs("""{"prompt": "Tim ran.", "chosen": " He won.", "rejected": " He won."}"""), "--layers", "2"), 1, "line 1: 'chosen' equals 'rejected'");

    [Test]
    public void EmptyResponse() =>
        AssertCleanFailure(Bipo(Prefs(Good, """{"prompt": "Tim ran.", "chosen": " ", "rejected": " He lost."}"""), "--layers", "2"), 1, "line 2: 'chosen' is an empty response");

    [TestCase("0", "layer 0 cannot be held by a control-vector file")]
    [TestCase("5", "layer 5 is outside the model's layers 1..4")]
    public void LayerTheFileOrModelCannotHold(string layers, string mentions) => AssertCleanFailure(Bipo(Prefs(Good), "--layers", layers), 2, mentions);

    [TestCase("--beta", "0", "--beta must be a positive finite number")]
    [TestCase("--beta", "NaN", "--beta must be a positive finite number")]
    [TestCase("--lr", "-1", "--lr must be a positive finite number")]
    [TestCase("--lr", "Infinity", "--lr must be a positive finite number")]
    [TestCase("--epochs", "0", "--epochs must be at least 1")]
    public void NonPositiveOrNonFiniteSetting(string option, string value, string mentions) =>
        AssertCleanFailure(Bipo(Prefs(Good), "--layers", "2", option, value), 2, mentions);

    [Test]
    public void ArchitectureTheGraphBuilderDoesNotKnow()
    {
        var source = GgufFile.Read(TestPaths.Model);
        var writer = GgufWriter.From(source).SetString("general.architecture", "gemma2");
        foreach (var t in source.Tensors) writer.AddTensor(t.Name, t.Type, t.Dimensions.ToArray(), source.ReadTensorBytes(t));
        var model = Path.Combine(_dir, "gemma2.gguf");
        writer.WriteTo(model);
        var r = CliRunner.Run(["train", "-m", model, "-t", "1", "--method", "bipo", "--dataset", Prefs(Good), "--layers", "2", "-o", Path.Combine(_dir, "v.gguf")]);
        AssertCleanFailure(r, 1, "architecture 'gemma2' uses GELU feed-forward and tanh logit softcapping, which has no backward pass in ggml");
    }

    [Test]
    public void TrainingThatProducesNaN() =>
        AssertCleanFailure(Bipo(Prefs(Good, Good), "--layers", "2", "--lr", "1e30", "--warmup", "0", "--batch", "1", "--epochs", "3"), 1, "training diverged");

    [Test]
    public void OutputThatExists()
    {
        var output = Path.Combine(_dir, "v.gguf");
        File.WriteAllText(output, "keep me");
        var r = Bipo(Prefs(Good), "--layers", "2");
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.Stderr, Does.Contain("exists; pass --force"));
        Assert.That(File.ReadAllText(output), Is.EqualTo("keep me"));
    }
}
