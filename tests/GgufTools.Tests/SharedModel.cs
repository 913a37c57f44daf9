using LlamaSteer.Models;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;
using NUnit.Framework;

namespace LlamaSteer.GgufTools.Tests;

/// <summary>
/// The one in-process copy of the test model (models/stories260K.gguf) that the tests of this project use, loaded on first
/// use and disposed once when the run ends (<see cref="SharedModelTeardown"/>), and the seeded random control-vector files
/// the commands are given. The model is read-only: tests make their own contexts from it. Tests about another file (a
/// synthesized model) load that file themselves; the commands under test load whatever they are given on their own.
/// </summary>
internal static class SharedModel
{
    private static readonly Lazy<LlamaModel> Loaded = new(() => LlamaModel.Load(TestPaths.Model));

    public static LlamaModel Model => Loaded.Value;

    /// <summary>
    /// A vector of uniform noise in [-0.5, 0.5), times <paramref name="scale"/>, on <paramref name="layers"/>: the same for the
    /// same arguments. Its n_embd is the test model's unless <paramref name="embd"/> says otherwise (a vector for another model).
    /// </summary>
    public static SteeringVector RandomVector(int seed, IEnumerable<int> layers, int? embd = null, float scale = 1f, string hint = "llama", VectorProvenance? provenance = null)
    {
        var width = embd ?? Model.EmbeddingSize;
        var rng = new Random(seed);
        return new SteeringVector(width, layers.ToDictionary(l => l, _ => Enumerable.Range(0, width).Select(_ => scale * (float)(rng.NextDouble() - 0.5)).ToArray()), hint, provenance);
    }

    /// <summary><see cref="RandomVector"/> written as a control-vector file at <paramref name="path"/>; returns the path.</summary>
    public static string RandomVectorFile(string path, int seed, IEnumerable<int> layers, int? embd = null, float scale = 1f, string hint = "llama", VectorProvenance? provenance = null)
    {
        ControlVectorFile.Write(RandomVector(seed, layers, embd, scale, hint, provenance), path);
        return path;
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
