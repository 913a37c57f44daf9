namespace LlamaSteer.Prompts;

/// <summary>
/// A learned steering token: a name, one input embedding row (n_embd floats), and how it was made. A composition
/// token (<see cref="IsComposition"/>) joins the behaviour tokens on either side of it. Immutable by convention.
/// </summary>
/// <param name="Instruction">The instruction the token was distilled from (null for a composition token).</param>
/// <param name="Options">The training options and measured losses, as a readable line.</param>
public sealed record SteeringToken(string Name, float[] Row, string? Instruction, string Options, bool IsComposition = false)
{
    /// <summary>The token as a prompt piece.</summary>
    public EmbeddingPiece Piece => new(Name, Row);
}
