using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Graph;

namespace LlamaSteer.Training.Parameters;

/// <summary>
/// Trainable steering vectors, one per chosen layer (<c>steer-N</c>, n_embd values), added to that layer's output
/// times a sign/strength: exactly what a control vector's <c>direction.N</c> does in llama.cpp. The same tensors can be
/// applied at another strength with <see cref="AtStrength"/> (BiPO draws the sign per step). Not thread-safe.
/// </summary>
public sealed class LayerVectors : IResidualEdit
{
    private readonly Dictionary<int, TrainableTensor> _byLayer;

    /// <summary>Vectors for <paramref name="layers"/>, starting at <paramref name="initial"/>'s values for a layer, or zero.</summary>
    public LayerVectors(IEnumerable<int> layers, int embeddingSize, Func<int, float[]?>? initial = null)
    {
        ArgumentNullException.ThrowIfNull(layers);
        _byLayer = layers.Distinct().Order().ToDictionary(l => l, l => new TrainableTensor($"steer-{l}", [embeddingSize], initial?.Invoke(l)));
        if (_byLayer.Count == 0) throw new ArgumentException("At least one layer is needed.", nameof(layers));
        EmbeddingSize = embeddingSize;
        Strength = 1f;
    }

    private LayerVectors(LayerVectors source, float strength)
    {
        _byLayer = source._byLayer;
        EmbeddingSize = source.EmbeddingSize;
        Strength = strength;
    }

    public int EmbeddingSize { get; }

    /// <summary>The factor the vectors are applied with.</summary>
    public float Strength { get; }

    public IReadOnlyList<int> Layers => [.. _byLayer.Keys];

    public IReadOnlyList<TrainableTensor> Tensors => [.. _byLayer.Values];

    /// <summary>The vector of <paramref name="layer"/> (its live values).</summary>
    public float[] Vector(int layer) => _byLayer[layer].Values;

    /// <summary>The same tensors applied at <paramref name="strength"/>.</summary>
    public LayerVectors AtStrength(float strength) => new(this, strength);

    public GgmlTensorRef Apply(GraphStep step, int layer, GgmlTensorRef layerOutput)
    {
        if (!_byLayer.TryGetValue(layer, out var tensor) || Strength == 0) return layerOutput;
        var v = step.Parameter(tensor);
        return step.Context.Add(layerOutput, Strength == 1 ? v : step.Context.Scale(v, Strength));
    }
}
