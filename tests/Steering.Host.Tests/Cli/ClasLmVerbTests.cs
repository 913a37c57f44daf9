using LlamaSteer.Steering.Contextual;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Host.Tests.Cli;

/// <summary><c>llamasteer clas --objective lm</c> end to end from the shipped targets, and its refusals.</summary>
[TestFixture]
public class ClasLmVerbTests
{
    private string _dir = null!;
    private string _vector = null!;

    [OneTimeSetUp]
    public void TrainVector()
    {
        _dir = TestPaths.NewTempDirectory();
        _vector = Path.Combine(_dir, "happy.gguf");
        var r = CliRunner.Run(["train", "-m", TestPaths.Model, "-t", "1", "--dataset", "tinystories-happy-sad", "--layers", "3-4", "-o", _vector]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
    }

    [OneTimeTearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    private static string Targets => Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "clas", "happy-completions.train.jsonl");

    private ProcessResult Clas(params string[] extra) =>
        CliRunner.Run(["clas", "-m", TestPaths.Model, "-t", "1", "--vector", _vector, .. extra]);

    [Test]
    public void TrainsParametersThatLoadBesideTheirVector()
    {
        var output = Path.Combine(_dir, "lm.clas.gguf");
        var r = Clas("--objective", "lm", "--train", Targets, "--epochs", "1", "-o", output);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Stderr);
        Assert.That(r.Stdout, Does.Contain("validation loss per epoch"));
        var parameters = ClasParameters.Load(output, ControlVectorFile.Read(_vector));
        Assert.That(parameters.Strength.Layers, Is.EqualTo(new[] { 3, 4 }));
        Assert.That(parameters.Objective, Does.StartWith("lm:"));
    }

    [Test]
    public void LmWithoutTargetsIsRefused()
    {
        var r = Clas("--objective", "lm");
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.Stderr, Does.Contain("--objective lm needs --train"));
    }

    [Test]
    public void UnknownObjectiveIsRefused()
    {
        var r = Clas("--objective", "sgd");
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.Stderr, Does.Contain("Unknown --objective 'sgd'"));
    }

    [Test]
    public void ExistingOutputIsKept()
    {
        var output = Path.Combine(_dir, "kept.clas.gguf");
        File.WriteAllText(output, "keep me");
        var r = Clas("--objective", "lm", "--train", Targets, "-o", output);
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(File.ReadAllText(output), Is.EqualTo("keep me"));
    }
}
