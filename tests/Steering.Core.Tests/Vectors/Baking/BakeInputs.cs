using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Vectors.Baking;

/// <summary>Seeded random vectors for the bake tests.</summary>
internal static class BakeInputs
{
    /// <summary>A vector with a seeded random direction (entries uniform in [-1, 1]) on each of <paramref name="layers"/>.</summary>
    public static SteeringVector RandomVector(int seed, int embeddingSize, int[] layers, string? modelHint = "llama")
    {
        var rng = new Random(seed);
        var directions = layers.ToDictionary(l => l, _ => Enumerable.Range(0, embeddingSize).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray());
        return new SteeringVector(embeddingSize, directions, modelHint);
    }

    /// <summary>Largest absolute difference of two equally long arrays.</summary>
    public static float MaxDifference(IReadOnlyList<float> a, IReadOnlyList<float> b)
    {
        Assert.That(b, Has.Count.EqualTo(a.Count));
        var max = 0f;
        for (var i = 0; i < a.Count; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
