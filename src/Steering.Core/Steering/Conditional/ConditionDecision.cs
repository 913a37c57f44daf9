namespace LlamaSteer.Steering.Conditional;

/// <summary>One condition on one prompt: its score, the threshold, and whether it held.</summary>
public sealed record ConditionOutcome(string Condition, int Layer, float Score, float Threshold, bool Holds);

/// <summary>
/// What conditional steering decided for one prompt: every condition's outcome, the rule that fired (the
/// first in order whose tests matched; null when none did) and the plan it steers with (null: unsteered).
/// </summary>
public sealed record ConditionDecision(int Index, IReadOnlyList<ConditionOutcome> Conditions, ConditionalRule? Rule)
{
    /// <summary>The fired rule's name, or null.</summary>
    public string? RuleName => Rule?.Name;

    /// <summary>The behaviour to steer with, or null when no rule fired.</summary>
    public SteeringPlan? Plan => Rule?.Behaviour;

    public bool Steered => Rule is not null;
}
