namespace LlamaSteer.Steering;

/// <summary>What a term does to the residual stream h at a steered token and layer (v the layer's direction, û = v/|v|).</summary>
public enum SteeringOperator
{
    /// <summary>h ← h + s·v (s the term's strength, or the contextual coefficient).</summary>
    Add,

    /// <summary>h ← h − (h·û)û: removes the component along the direction (strength ignored).</summary>
    Ablate,

    /// <summary>h ← h + (t − h·û)û: sets the projection on the unit direction to t = the strength.</summary>
    Clamp,
}
