using LlamaSteer.Vectors;

namespace LlamaSteer.Steering;

/// <summary>A vector with a strength, applied on some of its layers (all of them when <see cref="Layers"/> is null).</summary>
public sealed record VectorTerm(SteeringVector Vector, float Strength, LayerSet? Layers = null, string? Name = null)
{
    /// <summary>The layers this term actually steers: its layer filter intersected with the vector's layers.</summary>
    public IEnumerable<int> EffectiveLayers => Layers is null ? Vector.Layers : Vector.Layers.Where(Layers.Contains);

    /// <exception cref="ArgumentException">NaN/Inf strength, a vector for another n_embd, or no layer left to steer.</exception>
    public void Validate(int embeddingSize, int layerCount)
    {
        var what = Name ?? "a vector";
        if (!float.IsFinite(Strength)) throw new ArgumentException($"The strength of {what} is not a finite number ({Strength}).");
        if (Vector.EmbeddingSize != embeddingSize)
            throw new ArgumentException($"{what} has n_embd {Vector.EmbeddingSize} but the model has {embeddingSize}: it was made for another model.");
        Layers?.CheckAgainst(layerCount);
        var outside = Vector.Layers.Where(l => l >= layerCount).ToArray();
        if (outside.Length > 0 && Layers is null)
            throw new ArgumentException($"{what} has directions for layers {LayerSet.Describe(outside)} but the model has layers 0-{layerCount - 1}.");
        if (!EffectiveLayers.Any())
            throw new ArgumentException($"{what} has no direction on the chosen layers {Layers} (it has {LayerSet.Describe(Vector.Layers)}).");
    }
}
