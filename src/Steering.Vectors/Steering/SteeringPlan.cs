namespace LlamaSteer.Steering;

/// <summary>
/// How one sequence is steered: a list of terms. Plans of different sequences decoded in one batch never
/// affect each other. A plan whose terms are all static adds can run as llama.cpp's control vector
/// (no callback cost) when it is the only plan of the context; everything else goes through the
/// evaluation callback, which touches only the layers and rows that need it. Immutable.
/// </summary>
public sealed class SteeringPlan
{
    public static SteeringPlan None { get; } = new([]);

    public SteeringPlan(IReadOnlyList<SteeringTerm> terms) => Terms = terms;

    public IReadOnlyList<SteeringTerm> Terms { get; }

    public bool IsEmpty => Terms.Count == 0;

    public bool IsStaticAdd => Terms.All(t => t.IsStaticAdd);

    /// <summary>Layers any term touches.</summary>
    public IEnumerable<int> Layers => Terms.SelectMany(t => t.EffectiveLayers).Distinct().Order();

    /// <summary>Checks everything before any decoding starts.</summary>
    /// <exception cref="ArgumentException">
    /// NaN/Inf strength, a vector of another n_embd, layers outside the model, a window beyond the context,
    /// a contextual strength without parameters for a steered layer, or conflicting terms (the same vector
    /// twice on a layer with different operators).
    /// </exception>
    public SteeringPlan Validate(int embeddingSize, int layerCount, int contextSize)
    {
        foreach (var t in Terms)
        {
            if (!float.IsFinite(t.Strength)) throw new ArgumentException($"The strength of {t.Label} is not a finite number ({t.Strength}).");
            if (t.Vector.EmbeddingSize != embeddingSize)
                throw new ArgumentException($"{t.Label} has n_embd {t.Vector.EmbeddingSize} but the model has {embeddingSize}: it was made for another model.");
            t.Layers?.CheckAgainst(layerCount);
            var outside = t.EffectiveLayers.Where(l => l >= layerCount).ToArray();
            if (outside.Length > 0) throw new ArgumentException($"{t.Label} steers layers {LayerSet.Describe(outside)} but the model has layers 0-{layerCount - 1}.");
            if (!t.EffectiveLayers.Any()) throw new ArgumentException($"{t.Label} has no direction on the chosen layers {t.Layers} (it has {LayerSet.Describe(t.Vector.Layers)}).");
            t.EffectiveWindow.Validate(contextSize);
            if (t.Contextual is { } c && t.EffectiveLayers.FirstOrDefault(l => !c.HasLayer(l)) is var missing && t.EffectiveLayers.Any(l => !c.HasLayer(l)))
                throw new ArgumentException($"The contextual strength of {t.Label} has no parameters for layer {missing}; it was fitted for another vector or layers.");
            if (t.Operator != SteeringOperator.Add && t.EffectiveLayers.Any(l => t.Vector.Norm(l) == 0))
                throw new ArgumentException($"{t.Label} has a zero direction; it cannot be ablated or clamped.");
        }
        // The same vector (the same object, or the same directions read twice) on one layer with two operators
        // has no defined order of effect.
        for (var i = 0; i < Terms.Count; i++)
            for (var j = i + 1; j < Terms.Count; j++)
            {
                var (a, b) = (Terms[i], Terms[j]);
                if (a.Operator == b.Operator || !a.Vector.SameDirections(b.Vector)) continue;
                var shared = a.EffectiveLayers.Intersect(b.EffectiveLayers).ToArray();
                if (shared.Length > 0)
                    throw new ArgumentException($"Conflicting terms: {a.Label} is used on layer {shared[0]} with operators {a.Operator} and {b.Operator}.");
            }
        return this;
    }
}
