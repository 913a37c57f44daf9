using System.Collections.Concurrent;
using LlamaSteer.Generation;
using LlamaSteer.Host.Tests.Cli;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;
using LlamaSteer.Testing;

namespace LlamaSteer.Host.Tests;

/// <summary>
/// What the tests of this project share: one in-process copy of the test model (for tokenizing and for computing expected
/// outputs independently of the executable), loaded on first use, and the vector files of the shipped datasets, each
/// trained once by the real <c>llamasteer train</c> (default method and scaling, layers 1-4) into a folder removed when the
/// run ends (<see cref="SharedModelTeardown"/>). The files are shared: a test that writes beside a vector (CLAS parameters)
/// or changes it takes a copy with <see cref="CopyVector"/>.
/// </summary>
internal static class SharedModel
{
    private static readonly Lazy<LlamaModel> Loaded = new(() => LlamaModel.Load(TestPaths.Model));
    private static readonly Lazy<string> Folder = new(TestPaths.NewTempDirectory);
    private static readonly ConcurrentDictionary<string, Lazy<string>> Trained = new();

    public static LlamaModel Model => Loaded.Value;

    /// <summary>The shipped dataset vectors/datasets/NAME.jsonl.</summary>
    public static string Dataset(string name) => Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", name + ".jsonl");

    /// <summary>The vector file of a shipped dataset (tinystories-happy-sad, tinystories-girl-boy, ...), trained on first use. Do not write beside it.</summary>
    public static string VectorFile(string dataset) => Trained.GetOrAdd(dataset, name => new Lazy<string>(() =>
    {
        var path = Path.Combine(Folder.Value, name + ".gguf");
        // By name, as the README's commands give it.
        var r = CliRunner.Run(["train", "-m", TestPaths.Model, "-t", "1", "--dataset", name, "--layers", "1-4", "-o", path]);
        Assert.That(r.ExitCode, Is.Zero, $"training the shared {name} vector failed: {r.Stderr}");
        return path;
    })).Value;

    /// <summary>A copy of <see cref="VectorFile"/> at <paramref name="folder"/>/<paramref name="fileName"/>, for a test that writes beside it.</summary>
    public static string CopyVector(string dataset, string folder, string fileName)
    {
        var path = Path.Combine(folder, fileName);
        File.Copy(VectorFile(dataset), path);
        return path;
    }

    /// <summary>
    /// The greedy continuation the engine produces in this process for <paramref name="text"/> under <paramref name="plan"/>: what
    /// <c>llamasteer generate --temperature 0</c> must print after the prompt.
    /// </summary>
    public static string Greedy(string text, int maxTokens, SteeringPlan? plan = null, bool parseSpecialTokens = false)
    {
        using var ctx = Model.CreateContext(new ContextOptions { Threads = 1, ContextSize = 256, EnableGraphHooks = true });
        var options = new GenerationOptions { MaxTokens = maxTokens, Sampling = SamplingOptions.Greedy, Plan = plan, ParseSpecialTokens = parseSpecialTokens };
        return new TextGenerator(ctx).Generate(text, options).Text;
    }

    internal static void Release()
    {
        if (Loaded.IsValueCreated) Loaded.Value.Dispose();
        if (Folder.IsValueCreated) Directory.Delete(Folder.Value, recursive: true);
    }
}

/// <summary>Disposes the shared model and removes the shared vectors after the last test of the project.</summary>
[SetUpFixture]
public sealed class SharedModelTeardown
{
    [OneTimeTearDown] public void Release() => SharedModel.Release();
}
