namespace LlamaSteer.Steering;

/// <summary>
/// How one generated token was steered, one value per term of the plan in force (in the plan's order): the
/// coefficient actually applied along the term's direction at the row whose logits produced the token (s for a
/// plain add, s·c(h) under a contextual strength such as CLAS, −h·û for ablate, t − h·û for clamp; 0 where the
/// term's window left the row out) and the projection h·û of the residual on the term's unit direction before
/// the term acted (NaN where the window left the row out). Both are means over the term's steered layers.
/// </summary>
public sealed record TokenSteering(float[] Applied, float[] Projection);
