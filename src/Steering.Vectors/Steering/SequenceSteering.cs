namespace LlamaSteer.Steering;

/// <summary>A sequence's plan and its prompt length (positions below it are prompt tokens, the rest generated).</summary>
public sealed record SequenceSteering(SteeringPlan Plan, int PromptLength);
