using System.Diagnostics;
using LlamaSteer.Gguf;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Host.Tests.Cli;

/// <summary>Messages that used to mislead (issue 11, sections 3 and 8) now name the real problem in one line.</summary>
[TestFixture]
public class MisleadingMessageTests
{
    private string _folder = null!;
    private string _vector = null!;

    [OneTimeSetUp]
    public void WriteVector()
    {
        _folder = TestPaths.NewTempDirectory();
        _vector = Path.Combine(_folder, "v.gguf");
        ControlVectorFile.Write(UnitVector(64, 1, 2, 3, 4), _vector);
    }

    [OneTimeTearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private static SteeringVector UnitVector(int embd, params int[] layers) =>
        new(embd, layers.ToDictionary(l => l, l => Enumerable.Range(0, embd).Select(i => i == l % embd ? 1f : 0f).ToArray()), "llama");

    private static ProcessResult Generate(params string[] extra) => CliRunner.Run(["generate", "-m", TestPaths.Model, "-t", "1", "-p", "Once", "-n", "2", .. extra]);

    private static void AssertOneLine(ProcessResult r, int exitCode, string expected)
    {
        Assert.That(r.ExitCode, Is.EqualTo(exitCode), r.Stderr);
        Assert.That(r.Stderr.TrimEnd(), Is.EqualTo($"llamasteer: {expected}"));
    }

    [Test]
    public void NothingAfterTheAtSign() => AssertOneLine(Generate("--vector", _vector + "@"), 2, $"--vector {_vector}@: nothing follows '@'; give layers such as FILE@1-4, or drop the '@'.");

    [Test]
    public void EmptyLayerList() => AssertOneLine(Generate("--vector", _vector, "--layers", ""), 2, "The layer list is empty: use forms like 1-4, 2,5,7 or all.");

    [Test]
    public void EmptyEntryInALayerList() => AssertOneLine(Generate("--vector", _vector, "--layers", "1,,2"), 2, "'1,,2' has an empty entry: use forms like 1-4, 2,5,7 or all.");

    [Test]
    public void BackwardsWindowIsReportedAsWritten() =>
        AssertOneLine(Generate("--vector", _vector, "--window", "positions:5-2"), 2, "Window range 5-2 in 'positions:5-2' runs backwards.");

    [Test]
    public void AFolderGivenAsAVector() => AssertOneLine(Generate("--vector", _folder), 1, $"{_folder}: is a folder, not a control-vector file");

    [Test]
    public void ClampTargetThatIsNotFiniteBlamesClamp() =>
        AssertOneLine(Generate("--clamp", _vector + ":nan"), 2, $"--clamp {_vector}:nan: the target must be a finite number.");

    [Test]
    public void ClampWithoutATarget() => AssertOneLine(Generate("--clamp", _vector), 2, $"--clamp {_vector}: give the target projection, as in FILE:2.5.");

    [Test]
    public void TwoTensorsForOneLayerAreRefused()
    {
        var path = Path.Combine(_folder, "dup.gguf");
        var one = Enumerable.Range(0, 64).Select(i => i == 0 ? 1f : 0f).ToArray();
        new GgufWriter().SetString("general.architecture", "controlvector").SetString("controlvector.model_hint", "llama")
            .AddTensor("direction.1", one, 64).AddTensor("direction.01", one, 64).WriteTo(path);
        var r = Generate("--vector", path);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Stderr);
        Assert.That(r.Stderr.TrimEnd(), Does.StartWith($"llamasteer: {path}: two tensors steer layer 1 ('direction.01' and an earlier direction.1"));
    }

    [Test]
    public void A2000LayerVectorIsDescribedInAShortLine()
    {
        var path = Path.Combine(_folder, "deep.gguf");
        ControlVectorFile.Write(UnitVector(64, Enumerable.Range(1, 2000).Where(l => l % 2 == 1).ToArray()), path);
        var r = Generate("--vector", path);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.Stderr);
        Assert.That(r.Stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(r.Stderr.Length, Is.LessThan(300), r.Stderr);
        Assert.That(r.Stderr, Does.Contain("(998 layers)"));
    }

    [Test]
    public void AVectorWhoseArchitectureIsNotAString()
    {
        var path = Path.Combine(_folder, "arch.gguf");
        new GgufWriter().SetUInt32("general.architecture", 3).AddTensor("direction.1", Enumerable.Repeat(0.1f, 64).ToArray(), 64).WriteTo(path);
        AssertOneLine(Generate("--vector", path), 1, $"{path}: metadata 'general.architecture' should be a string but is uint32 3");
    }

    [Test]
    public void AVectorWhoseModelHintIsNotAString()
    {
        var path = Path.Combine(_folder, "hint.gguf");
        new GgufWriter().SetString("general.architecture", "controlvector").SetFloat32("controlvector.model_hint", 1.5f)
            .AddTensor("direction.1", Enumerable.Repeat(0.1f, 64).ToArray(), 64).WriteTo(path);
        var r = Generate("--vector", path);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Stderr);
        Assert.That(r.Stderr.TrimEnd(), Does.StartWith($"llamasteer: {path}: metadata 'controlvector.model_hint' should be a string but is float32"));
    }

    [Test]
    public void ACalibrationLayerThatOverflowsIntIsIgnoredLikeAnyDamagedCalibration()
    {
        var path = Path.Combine(_folder, "calibration.gguf");
        new GgufWriter().SetString("general.architecture", "controlvector").SetString("controlvector.model_hint", "llama")
            .SetString("llamasteer.calibration", "{\"99999999999\":{\"PositiveMean\":1,\"NegativeMean\":0,\"Separation\":1}}")
            .AddTensor("direction.1", Enumerable.Repeat(0.1f, 64).ToArray(), 64).WriteTo(path);
        var r = Generate("--vector", path);
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
    }

    [TestCase("model")]
    [TestCase("vector")]
    public void APipeIsRefusedWithAMessage(string what)
    {
        var fifo = Path.Combine(_folder, $"{what}.fifo");
        using (var mk = Process.Start("mkfifo", fifo)) mk.WaitForExit();
        var source = what == "model" ? TestPaths.Model : _vector;
        // Feed the pipe as `<(cat file)` would; the reader refuses it after opening, so the writer may see a broken pipe.
        var feeder = Task.Run(() =>
        {
            try
            {
                using var pipe = new FileStream(fifo, FileMode.Open, FileAccess.Write);
                using var input = File.OpenRead(source);
                input.CopyTo(pipe);
            }
            catch (IOException)
            {
            }
        });
        var r = what == "model"
            ? CliRunner.Run(["generate", "-m", fifo, "-t", "1", "-p", "Once", "-n", "2"])
            : Generate("--vector", fifo);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Stderr);
        Assert.That(r.Stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1), r.Stderr);
        Assert.That(r.Stderr, Does.Contain($"{fifo}").And.Contain("is a pipe or device, not a regular file; GGUF files are read by seeking, so save it to a file first"));
        feeder.Wait(TimeSpan.FromSeconds(10));
    }

    [Test]
    public void TrainLayer0IsRefusedBeforeTheCapture() =>
        AssertOneLine(CliRunner.Run(["train", "-m", TestPaths.Model, "-t", "1", "-d", "tinystories-happy-sad", "--layers", "0-2", "-o", Path.Combine(_folder, "never.gguf")]), 2,
            "--layers 0-2: layer 0 cannot be written to a control-vector file (llama.cpp's direction.N steers layer N >= 1); use layers 1-4.");

    [Test]
    public void ClasWithTheSameWantedAndUnwantedExamples()
    {
        var examples = Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "clas", "mood-cues.txt");
        AssertOneLine(CliRunner.Run(["clas", "-m", TestPaths.Model, "-t", "1", "--vector", _vector, "--wanted", examples, "--unwanted", examples, "-o", Path.Combine(_folder, "c.gguf")]), 2,
            "--wanted and --unwanted hold the same examples; CLAS learns where the behaviour is wanted from how they differ, so it would fit nothing.");
    }

    [Test]
    public void PositionsAllIsNamedInTheError()
    {
        var r = CliRunner.Run(["train", "-m", TestPaths.Model, "-t", "1", "-d", "tinystories-happy-sad", "--positions", "first", "-o", Path.Combine(_folder, "never.gguf")]);
        AssertOneLine(r, 2, "Unknown --positions 'first': use last, mean or all.");
    }
}
