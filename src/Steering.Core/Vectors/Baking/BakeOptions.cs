namespace LlamaSteer.Vectors.Baking;

/// <summary>What a bake may do that it refuses by default.</summary>
public sealed record BakeOptions
{
    /// <summary>
    /// Bake a vector that the model already has baked in (its directions are then added a second time), or one whose
    /// <c>controlvector.model_hint</c> names another architecture than the model's.
    /// </summary>
    public bool Force { get; init; }

    /// <summary>Replace a file already at the output path (never the model itself).</summary>
    public bool Overwrite { get; init; }
}
