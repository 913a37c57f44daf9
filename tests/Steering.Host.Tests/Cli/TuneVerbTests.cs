using LlamaSteer.Gguf;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Host.Tests.Cli;

/// <summary><c>llamasteer tune</c> end to end, and each bad input of the issue: one line, the right exit code, nothing written or replaced.</summary>
[TestFixture]
public class TuneVerbTests
{
    private string _dir = null!;
    private string _vector = null!;

    [SetUp]
    public void MakeFiles()
    {
        _dir = TestPaths.NewTempDirectory();
        _vector = Vector(64, "v.gguf");
    }

    [TearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    private string Vector(int embd, string name)
    {
        var path = Path.Combine(_dir, name);
        var random = new Random(embd);
        ControlVectorFile.Write(new SteeringVector(embd, Enumerable.Range(1, 4).ToDictionary(l => l, _ => Enumerable.Range(0, embd).Select(_ => (float)random.NextDouble() - 0.5f).ToArray())), path);
        return path;
    }

    private string Output => Path.Combine(_dir, "tuned.gguf");

    private ProcessResult Tune(params string[] extra) => TuneMode("in", extra);

    private ProcessResult TuneMode(string mode, params string[] extra) =>
        CliRunner.Run(["tune", "-m", TestPaths.Model, "-t", "1", "--vector", _vector, "--layers", "3-4", "--mode", mode, "--dataset", "sad-completions", "-o", Output, .. extra]);

    private void AssertCleanFailure(ProcessResult r, int exitCode, string mentions, string? output = null)
    {
        Assert.That(r.ExitCode, Is.EqualTo(exitCode), $"stdout: {r.Stdout}\nstderr: {r.Stderr}");
        Assert.That(r.Stderr, Does.Contain(mentions));
        Assert.That(r.Stderr.Trim().Split('\n').Count(l => l.StartsWith("llamasteer:", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(r.Stderr, Does.Not.Contain("   at "), "stack trace printed");
        Assert.That(File.Exists(output ?? Output), Is.False, "nothing is written");
        Assert.That(Directory.GetFiles(_dir, "*.tmp"), Is.Empty, "no temporary file is left");
    }

    [Test]
    public void TunesAndWritesAModelWithBothLossTerms()
    {
        var r = TuneMode("out", "--epochs", "1", "--rank", "2", "--type", "f16");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Stderr, Does.Contain("token ").And.Contain("repr "), "the progress shows both loss terms");
        Assert.That(r.Stdout, Does.Contain("held-out completions").And.Contain("written (f16)").And.Contain("writing the tuned tensors as f16 cost"));
        var file = GgufFile.Read(Output);
        Assert.That(file.GetString("llamasteer.tuned.mode"), Is.EqualTo("out"));
        Assert.That(file.FindTensor("blk.3.ffn_down.weight")!.Type, Is.EqualTo(GgmlType.F16));
        Assert.That(file.FindTensor("blk.2.ffn_down.weight")!.Type, Is.EqualTo(GgmlType.F32), "blocks outside --layers are copied");
        var generated = CliRunner.Run(["generate", "-m", Output, "-t", "1", "--prompt", "Once upon a time", "--temperature", "0", "--max-tokens", "8"]);
        Assert.That(generated.ExitCode, Is.EqualTo(0), generated.Stderr);
        Assert.That(generated.Stdout.Trim(), Does.StartWith("Once upon a time").And.Length.GreaterThan("Once upon a time".Length));
    }

    [Test]
    public void VectorForAnotherModel()
    {
        _vector = Vector(32, "narrow.gguf");
        AssertCleanFailure(Tune(), 1, "n_embd 32");
    }

    [Test]
    public void TensorThatDoesNotExist() => AssertCleanFailure(Tune("--tensors", "ffn_down,ffn_dwn"), 2, "has no tensor blk.3.ffn_dwn.weight");

    [Test]
    public void RankLargerThanTheTensorAllows() => AssertCleanFailure(Tune("--rank", "65"), 2, "--rank 65 is larger than the tensor allows");

    [TestCase("NaN")]
    [TestCase("Infinity")]
    [TestCase("-1")]
    public void LambdaThatIsNotAFiniteNonNegativeNumber(string lambda) => AssertCleanFailure(Tune("--lambda", lambda), 2, "--lambda must be a finite number");

    [Test]
    public void OutputThatWouldOverwriteTheModel()
    {
        var model = Path.Combine(_dir, "model.gguf");
        File.Copy(TestPaths.Model, model);
        var before = File.ReadAllBytes(model);
        var r = CliRunner.Run(["tune", "-m", model, "-t", "1", "--vector", _vector, "--layers", "3-4", "--mode", "in", "--dataset", "sad-completions", "-o", model]);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.Stderr);
        Assert.That(r.Stderr, Does.Contain("is the input"));
        Assert.That(File.ReadAllBytes(model), Is.EqualTo(before), "the model is untouched");
    }

    [Test]
    public void OutputThatWouldOverwriteTheVector() => AssertCleanFailure(CliRunner.Run(["tune", "-m", TestPaths.Model, "--vector", _vector, "--layers", "3-4", "--mode", "in", "--dataset", "sad-completions", "-o", _vector]), 2, "is the input", output: Output);

    [Test]
    public void ExistingOutputIsKeptWithoutForce()
    {
        File.WriteAllText(Output, "saved");
        var r = Tune();
        Assert.That(r.ExitCode, Is.EqualTo(2), r.Stderr);
        Assert.That(r.Stderr, Does.Contain("already exists"));
        Assert.That(File.ReadAllText(Output), Is.EqualTo("saved"));
    }

    [Test]
    public void UnknownMode() => AssertCleanFailure(TuneMode("sideways"), 2, "unknown --mode 'sideways'");
}
