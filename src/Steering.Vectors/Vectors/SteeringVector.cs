using LlamaSteer.Steering;

namespace LlamaSteer.Vectors;

/// <summary>
/// A steering direction per layer, for a model with a given residual width. Layer il means the
/// residual stream after block il (llama.cpp's l_out-il), which a control-vector file stores as
/// <c>direction.il</c>. Immutable; thread-safe.
/// </summary>
public sealed class SteeringVector
{
    private readonly SortedDictionary<int, float[]> _directions;

    /// <exception cref="ArgumentException">No layers, a negative layer, a wrong length, or a non-finite value.</exception>
    public SteeringVector(int embeddingSize, IReadOnlyDictionary<int, float[]> directions, string? modelHint = null, VectorProvenance? provenance = null)
    {
        if (embeddingSize < 1) throw new ArgumentOutOfRangeException(nameof(embeddingSize), embeddingSize, "n_embd must be positive.");
        if (directions.Count == 0) throw new ArgumentException("A steering vector needs at least one layer.", nameof(directions));
        _directions = new SortedDictionary<int, float[]>();
        foreach (var (layer, d) in directions)
        {
            if (layer < 0) throw new ArgumentException($"Layer {layer} is negative.", nameof(directions));
            if (d.Length != embeddingSize) throw new ArgumentException($"Layer {layer} has {d.Length} values but n_embd is {embeddingSize}.", nameof(directions));
            for (var i = 0; i < d.Length; i++)
                if (!float.IsFinite(d[i])) throw new ArgumentException($"Layer {layer} has a non-finite value at {i}.", nameof(directions));
            _directions[layer] = (float[])d.Clone();
        }
        EmbeddingSize = embeddingSize;
        ModelHint = modelHint;
        Provenance = provenance ?? new VectorProvenance();
    }

    /// <summary>Residual width (n_embd) the vector fits.</summary>
    public int EmbeddingSize { get; }

    /// <summary>The architecture of the model it was made on (controlvector.model_hint), if known.</summary>
    public string? ModelHint { get; }

    /// <summary>How the vector was made.</summary>
    public VectorProvenance Provenance { get; }

    /// <summary>Layers that have a direction, ascending.</summary>
    public IReadOnlyList<int> Layers => _directions.Keys.ToArray();

    public bool HasLayer(int layer) => _directions.ContainsKey(layer);

    /// <summary>The direction at a layer (a copy is not made: do not modify).</summary>
    public ReadOnlySpan<float> Direction(int layer) =>
        _directions.TryGetValue(layer, out var d) ? d : throw new ArgumentException($"The vector has no direction for layer {layer} (it has {LayerSet.Describe(Layers)}).");

    /// <summary>L2 norm of the direction at a layer.</summary>
    public float Norm(int layer) => System.Numerics.Tensors.TensorPrimitives.Norm(Direction(layer));

    /// <summary>Whether both vectors hold exactly the same directions (e.g. the same file read twice).</summary>
    public bool SameDirections(SteeringVector other) =>
        ReferenceEquals(this, other)
        || (other.EmbeddingSize == EmbeddingSize
            && other._directions.Keys.SequenceEqual(_directions.Keys)
            && _directions.All(p => p.Value.AsSpan().SequenceEqual(other._directions[p.Key])));

    /// <summary>A copy keeping only the given layers (those it has).</summary>
    public SteeringVector Restrict(IEnumerable<int> layers)
    {
        var keep = layers.Where(_directions.ContainsKey).ToDictionary(l => l, l => _directions[l]);
        if (keep.Count == 0) throw new ArgumentException($"The vector has none of the layers asked for (it has {LayerSet.Describe(Layers)}).");
        return new SteeringVector(EmbeddingSize, keep, ModelHint, Provenance);
    }

    /// <summary>A copy with every direction multiplied by <paramref name="factor"/>.</summary>
    public SteeringVector Scale(float factor)
    {
        if (!float.IsFinite(factor)) throw new ArgumentException("The scale factor must be finite.", nameof(factor));
        var scaled = _directions.ToDictionary(p => p.Key, p => p.Value.Select(v => v * factor).ToArray());
        return new SteeringVector(EmbeddingSize, scaled, ModelHint, Provenance);
    }
}
