using LlamaSteer.Vectors;

namespace LlamaSteer.Steering;

/// <summary>
/// One term of a plan: a vector, an operator, a strength, the layers and the tokens it applies to, and
/// optionally a contextual strength that scales the strength per token.
/// </summary>
public sealed record SteeringTerm(SteeringVector Vector, float Strength, LayerSet? Layers = null, SteeringOperator Operator = SteeringOperator.Add, TokenWindow? Window = null)
{
    /// <summary>Name for messages and reports (a file name, a dataset name).</summary>
    public string? Name { get; init; }

    /// <summary>CLAS-style per-token strength; the effective coefficient is Strength × Contextual.Coefficient(h).</summary>
    public IContextualStrength? Contextual { get; init; }

    public TokenWindow EffectiveWindow => Window ?? TokenWindow.All;

    /// <summary>The layers steered: the filter intersected with the vector's layers.</summary>
    public IEnumerable<int> EffectiveLayers => Layers is null ? Vector.Layers : Vector.Layers.Where(Layers.Contains);

    /// <summary>True when llama.cpp's control vector can do this term: add, every token, fixed strength, no layer 0.</summary>
    public bool IsStaticAdd => Operator == SteeringOperator.Add && EffectiveWindow.Kind == WindowKind.All && Contextual is null && !EffectiveLayers.Contains(0);

    internal string Label => Name ?? "a vector";
}
