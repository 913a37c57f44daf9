using LLama;
using LLama.Common;
using LLama.Native;
using LlamaSteer.Testing;

namespace LlamaSteer.LLamaSharp.Tests;

/// <summary>stories260K through LLamaSharp (its own native libraries), one thread, and the vectors the tests share.</summary>
[SetUpFixture]
public sealed class Models
{
    public const uint ContextSize = 256;

    public static string Path => TestPaths.Model;

    /// <summary>The model, loaded once for the whole run.</summary>
    public static LLamaWeights Weights { get; private set; } = null!;

    /// <summary>A folder for this run's files.</summary>
    public static string Folder { get; private set; } = null!;

    /// <summary>A mood vector trained by <c>llamasteer train</c> on the shipped happy/sad dataset.</summary>
    public static string Mood { get; private set; } = null!;

    public static ModelParams Parameters => new(Path) { ContextSize = ContextSize, Threads = 1, BatchThreads = 1, GpuLayerCount = 0 };

    [OneTimeSetUp]
    public void Load()
    {
        Folder = TestPaths.NewTempDirectory();
        // llama.cpp's own errors and warnings go to the test log, where a failing decode is explained.
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            if (level is LLamaLogLevel.Error or LLamaLogLevel.Warning) TestContext.Progress.Write($"llama.cpp {level}: {message}");
        });
        Weights = LLamaWeights.LoadFromFile(Parameters);
        Mood = System.IO.Path.Combine(Folder, "mood.gguf");
        var train = LlamaSteerCli.Run("train", "-m", Path, "-t", "1", "--dataset", "tinystories-happy-sad", "-o", Mood);
        Assert.That(train.ExitCode, Is.Zero, train.Stderr);
    }

    [OneTimeTearDown]
    public void Unload()
    {
        Weights?.Dispose();
        if (Folder is not null) Directory.Delete(Folder, true);
    }
}
