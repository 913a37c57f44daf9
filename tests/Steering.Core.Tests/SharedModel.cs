using System.Collections.Concurrent;
using LlamaSteer.Datasets;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests;

/// <summary>
/// The one copy of the test model (models/stories260K.gguf) that every test of this project uses, loaded on first use and
/// disposed once when the run ends (<see cref="SharedModelTeardown"/>), and the vectors trained from the shipped datasets,
/// each trained once. The model is read-only: tests make their own contexts from it. Tests that need a model of their own
/// (other load options, disposal itself) still load one.
/// </summary>
internal static class SharedModel
{
    private static readonly Lazy<LlamaModel> Loaded = new(() => LlamaModel.Load(TestPaths.Model));
    private static readonly ConcurrentDictionary<string, Lazy<SteeringVector>> Trained = new();

    /// <summary>The layers every cached vector is trained on.</summary>
    public static LayerSet Layers { get; } = LayerSet.Range(1, 4);

    public static LlamaModel Model => Loaded.Value;

    /// <summary>The shipped dataset vectors/datasets/NAME.jsonl.</summary>
    public static string Dataset(string name) => Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", name + ".jsonl");

    /// <summary>
    /// The vector of a shipped dataset (tinystories-happy-sad, tinystories-girl-boy, ...) as <c>llamasteer train</c> makes it
    /// by default on layers 1-4: mean difference, separation scaling, completion mean, with the dataset's name in its
    /// provenance. Trained on first use and shared after; vectors are immutable.
    /// </summary>
    public static SteeringVector Vector(string dataset) => Trained.GetOrAdd(dataset, name => new Lazy<SteeringVector>(() =>
    {
        var tokenized = DatasetTokenizer.Tokenize(Model, ContrastiveDataset.Load(Dataset(name)));
        return VectorTrainer.Train(Model, tokenized.Positives, tokenized.Negatives,
            new TrainingOptions { Layers = Layers, Threads = 1 }, new VectorProvenance { DatasetName = name }).Vector;
    })).Value;

    /// <summary>A vector of uniform noise in [-0.5, 0.5) on every layer of the model, the same for the same seed.</summary>
    public static SteeringVector RandomVector(int seed)
    {
        var rng = new Random(seed);
        return new SteeringVector(Model.EmbeddingSize, Enumerable.Range(0, Model.LayerCount)
            .ToDictionary(l => l, _ => Enumerable.Range(0, Model.EmbeddingSize).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray()), "llama");
    }

    internal static void Release()
    {
        if (Loaded.IsValueCreated) Loaded.Value.Dispose();
    }
}

/// <summary>Disposes the shared model after the last test of the project.</summary>
[SetUpFixture]
public sealed class SharedModelTeardown
{
    [OneTimeTearDown] public void Release() => SharedModel.Release();
}
