namespace LlamaSteer.Steering;

/// <summary>
/// Sums vector terms into the buffer <c>llama_set_adapter_cvec</c> takes, as llama.cpp's
/// <c>--control-vector</c> does: n_embd floats per layer from layer 1, each term's direction times its
/// strength added on its layers. Layer 0 cannot be expressed; a term that steers it is refused.
/// </summary>
public static class ControlVectorAdapter
{
    /// <summary>The summed buffer and the layer range it covers; empty when nothing is steered.</summary>
    public sealed record Buffer(float[] Data, int FirstLayer, int LastLayer);

    /// <exception cref="ArgumentException">A term steers layer 0, or is invalid for the model.</exception>
    public static Buffer Build(IReadOnlyList<VectorTerm> terms, int embeddingSize, int layerCount)
    {
        if (terms.Count == 0) return new Buffer([], -1, -1);
        foreach (var t in terms)
        {
            t.Validate(embeddingSize, layerCount);
            if (t.EffectiveLayers.Contains(0))
                throw new ArgumentException($"{t.Name ?? "A vector"} steers layer 0, which llama.cpp's control vectors cannot reach; choose layers from 1.");
        }
        var last = terms.SelectMany(t => t.EffectiveLayers).Max();
        var first = terms.SelectMany(t => t.EffectiveLayers).Min();
        var data = new float[last * embeddingSize];
        foreach (var t in terms)
            foreach (var layer in t.EffectiveLayers)
            {
                var dst = data.AsSpan((layer - 1) * embeddingSize, embeddingSize);
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(t.Vector.Direction(layer), t.Strength, dst, dst);
            }
        return new Buffer(data, first, last);
    }
}
