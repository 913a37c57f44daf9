using System.Numerics.Tensors;
using LlamaSteer.Steering;

namespace LlamaSteer.Host.Bench;

/// <summary>
/// The simplest contextual strength (CLAS), for timing only: coef = clip(h·w + b, min, max) with one weight
/// vector and bias per layer. One dot product per steered token and layer, no allocation.
/// </summary>
internal sealed class LinearStrength(IReadOnlyDictionary<int, float[]> weights, float bias, float min = 0f, float max = 1f) : IContextualStrength
{
    public bool HasLayer(int layer) => weights.ContainsKey(layer);

    public float Coefficient(int layer, ReadOnlySpan<float> hidden) =>
        Math.Clamp(TensorPrimitives.Dot(hidden, weights[layer]) + bias, min, max);
}
