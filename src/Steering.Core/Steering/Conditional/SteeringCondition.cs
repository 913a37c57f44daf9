using System.Numerics.Tensors;
using LlamaSteer.Vectors;

namespace LlamaSteer.Steering.Conditional;

/// <summary>How a prompt's mean hidden state is scored against a condition direction v.</summary>
public enum ConditionMetric
{
    /// <summary>h̄·v/|v|: the projection on the unit direction (the threshold absorbs the states' common offset).</summary>
    Projection,

    /// <summary>h̄·v/(|h̄||v|): the cosine similarity, as in CAST.</summary>
    Cosine,
}

/// <summary>
/// A condition on a prompt, after CAST (Lee et al., 2024, "Programming Refusal with Conditional Activation
/// Steering"): the prompt's hidden state at <see cref="Layer"/>, averaged over its tokens (BOS excluded),
/// is scored against the condition direction (<see cref="Vector"/> at that layer) by <see cref="Metric"/>;
/// the condition holds when the score exceeds <see cref="Threshold"/>. Immutable; thread-safe.
/// </summary>
public sealed record SteeringCondition(string Name, SteeringVector Vector, int Layer, float Threshold, ConditionMetric Metric = ConditionMetric.Projection)
{
    /// <summary>Accuracy on the labelled prompts the threshold was chosen on, when fitted.</summary>
    public double? FitAccuracy { get; init; }

    /// <summary>F1 (the condition's prompts as the positive class) on the labelled prompts, when fitted.</summary>
    public double? FitF1 { get; init; }

    /// <summary>Cross-validated accuracy on the labelled prompts, when the layer was chosen by <see cref="ConditionFitter.FitBestLayer"/>.</summary>
    public double? CrossValidatedAccuracy { get; init; }

    /// <summary>The score of a prompt's mean hidden state at <see cref="Layer"/>.</summary>
    /// <exception cref="ArgumentException">A state of another width.</exception>
    public float Score(ReadOnlySpan<float> promptState)
    {
        var v = Vector.Direction(Layer);
        if (promptState.Length != v.Length) throw new ArgumentException($"The state has {promptState.Length} values but the condition's direction has {v.Length}.");
        var dot = TensorPrimitives.Dot(promptState, v) / TensorPrimitives.Norm(v);
        if (Metric == ConditionMetric.Projection) return dot;
        var norm = TensorPrimitives.Norm(promptState);
        return norm == 0 ? 0 : dot / norm;
    }

    /// <summary>Whether a score passes the threshold.</summary>
    public bool Holds(float score) => score > Threshold;

    /// <exception cref="ArgumentException">No name, a non-finite threshold, no or a zero direction at the layer, or a layer outside the model.</exception>
    public SteeringCondition Validate(int embeddingSize, int layerCount)
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new ArgumentException("A condition needs a name.");
        if (!float.IsFinite(Threshold)) throw new ArgumentException($"Condition '{Name}' has a non-finite threshold ({Threshold}).");
        if (Vector.EmbeddingSize != embeddingSize)
            throw new ArgumentException($"Condition '{Name}' has n_embd {Vector.EmbeddingSize} but the model has {embeddingSize}.");
        if (Layer < 0 || Layer >= layerCount) throw new ArgumentException($"Condition '{Name}' reads layer {Layer} but the model has layers 0-{layerCount - 1}.");
        if (!Vector.HasLayer(Layer)) throw new ArgumentException($"Condition '{Name}' reads layer {Layer} but its vector has no direction there (it has {string.Join(",", Vector.Layers)}).");
        if (Vector.Norm(Layer) == 0) throw new ArgumentException($"Condition '{Name}' has a zero direction at layer {Layer}.");
        return this;
    }
}
