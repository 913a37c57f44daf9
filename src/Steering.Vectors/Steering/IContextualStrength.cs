namespace LlamaSteer.Steering;

/// <summary>
/// A strength computed per token and layer from the hidden state itself (CLAS: coef = h·w + b, clipped),
/// so steering is strong where the context calls for it and near zero where it does not.
/// Called on the decoding thread inside the evaluation callback: must be pure and fast.
/// </summary>
public interface IContextualStrength
{
    /// <summary>Whether this layer has parameters.</summary>
    bool HasLayer(int layer);

    /// <summary>The coefficient for one token's hidden state at a layer (before the term's strength multiplies it).</summary>
    float Coefficient(int layer, ReadOnlySpan<float> hidden);
}
