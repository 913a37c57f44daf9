using System.Numerics.Tensors;

namespace LlamaSteer.Steering.Contextual;

/// <summary>One layer's CLAS parameters: the coefficient there is clip(h·<see cref="Weights"/> + <see cref="Bias"/>).</summary>
public sealed record ClasLayer(int Layer, float[] Weights, float Bias);

/// <summary>
/// CLAS (Contextual Linear Activation Steering): the steering coefficient of a token at a layer is a
/// linear function of that token's hidden state there, clipped: coef = clip(h·w + b, <see cref="Min"/>,
/// <see cref="Max"/>). A steering term multiplies its strength by it, so steering is strong where the
/// context calls for it and near zero where it does not. Immutable (parameters are copied in);
/// <see cref="Coefficient"/> is pure and allocation-free, as it runs inside the evaluation callback;
/// thread-safe.
/// </summary>
public sealed class LinearContextualStrength : IContextualStrength
{
    private readonly float[]?[] _weights;
    private readonly float[] _bias;

    /// <exception cref="ArgumentException">
    /// No layers, a negative or repeated layer, weights of another length than <paramref name="embeddingSize"/>,
    /// a non-finite value, or an empty or inverted clip range.
    /// </exception>
    public LinearContextualStrength(int embeddingSize, IEnumerable<ClasLayer> layers, float min = 0, float max = 1)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (embeddingSize < 1) throw new ArgumentOutOfRangeException(nameof(embeddingSize), embeddingSize, "n_embd must be positive.");
        if (!float.IsFinite(min) || !float.IsFinite(max) || max < min)
            throw new ArgumentException($"The clip range [{min}, {max}] is not a finite, non-inverted range.");
        var list = layers.ToList();
        if (list.Count == 0) throw new ArgumentException("CLAS parameters need at least one layer.", nameof(layers));
        foreach (var l in list)
        {
            if (l.Layer < 0) throw new ArgumentException($"Layer {l.Layer} is negative.", nameof(layers));
            if (l.Weights.Length != embeddingSize)
                throw new ArgumentException($"Layer {l.Layer} has {l.Weights.Length} weights but n_embd is {embeddingSize}.", nameof(layers));
            if (!float.IsFinite(l.Bias) || !TensorPrimitives.IsFiniteAll<float>(l.Weights))
                throw new ArgumentException($"Layer {l.Layer} has a non-finite weight or bias.", nameof(layers));
        }
        var repeated = list.GroupBy(l => l.Layer).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null) throw new ArgumentException($"Layer {repeated.Key} is given twice.", nameof(layers));

        var last = list.Max(l => l.Layer);
        _weights = new float[]?[last + 1];
        _bias = new float[last + 1];
        foreach (var l in list)
        {
            _weights[l.Layer] = (float[])l.Weights.Clone();
            _bias[l.Layer] = l.Bias;
        }
        EmbeddingSize = embeddingSize;
        Min = min;
        Max = max;
        Layers = list.Select(l => l.Layer).Order().ToArray();
    }

    /// <summary>The residual width (n_embd) the weights fit.</summary>
    public int EmbeddingSize { get; }

    /// <summary>Lower end of the clip range.</summary>
    public float Min { get; }

    /// <summary>Upper end of the clip range.</summary>
    public float Max { get; }

    /// <summary>Layers with parameters, ascending.</summary>
    public IReadOnlyList<int> Layers { get; }

    public bool HasLayer(int layer) => (uint)layer < (uint)_weights.Length && _weights[layer] is not null;

    /// <summary>The weights of a layer (not a copy: do not modify).</summary>
    /// <exception cref="ArgumentException">The layer has no parameters.</exception>
    public ReadOnlySpan<float> Weights(int layer) => Checked(layer);

    /// <exception cref="ArgumentException">The layer has no parameters.</exception>
    public float Bias(int layer)
    {
        Checked(layer);
        return _bias[layer];
    }

    /// <summary>The parameters of every layer, ascending (copies).</summary>
    public IReadOnlyList<ClasLayer> Parameters => Layers.Select(l => new ClasLayer(l, _weights[l]!.ToArray(), _bias[l])).ToArray();

    /// <summary>clip(h·w + b, Min, Max) for the layer's w and b.</summary>
    /// <exception cref="ArgumentException">The layer has no parameters, or <paramref name="hidden"/> is not n_embd long (plans are validated so that neither happens while decoding).</exception>
    public float Coefficient(int layer, ReadOnlySpan<float> hidden) =>
        Math.Clamp(TensorPrimitives.Dot(hidden, Checked(layer)) + _bias[layer], Min, Max);

    /// <summary>The coefficient before clipping, h·w + b: how far into (or past) the clip range a state lies.</summary>
    public float RawCoefficient(int layer, ReadOnlySpan<float> hidden) => TensorPrimitives.Dot(hidden, Checked(layer)) + _bias[layer];

    private float[] Checked(int layer) =>
        HasLayer(layer) ? _weights[layer]! : throw new ArgumentException($"The CLAS parameters have no layer {layer} (they have {string.Join(",", Layers)}).");
}
