namespace LlamaSteer.Steering.Conditional;

/// <summary>Whether a rule needs any or all of its tests to pass.</summary>
public enum ConditionMatch { Any, All }

/// <summary>A condition, or its negation, as one test of a rule.</summary>
public sealed record ConditionTest(SteeringCondition Condition, bool Negated = false)
{
    /// <summary>The test passes when the condition holds.</summary>
    public static ConditionTest Of(SteeringCondition condition) => new(condition);

    /// <summary>The test passes when the condition does not hold.</summary>
    public static ConditionTest Not(SteeringCondition condition) => new(condition, true);

    public static implicit operator ConditionTest(SteeringCondition condition) => new(condition);

    public bool Passes(bool holds) => holds != Negated;

    public override string ToString() => Negated ? $"not {Condition.Name}" : Condition.Name;
}

/// <summary>
/// "If C1 or C2 then B", "if C1 and not C2 then B": when <see cref="Match"/> of <see cref="Tests"/> pass on a
/// prompt, the sequence is steered with <see cref="Behaviour"/>. Give the behaviour's terms
/// <see cref="TokenWindow.Generated"/> to steer only what is generated, as CAST does. Immutable.
/// </summary>
public sealed record ConditionalRule
{
    /// <exception cref="ArgumentException">No name or no tests.</exception>
    public ConditionalRule(string name, IReadOnlyList<ConditionTest> tests, ConditionMatch match, SteeringPlan behaviour)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(tests);
        ArgumentNullException.ThrowIfNull(behaviour);
        if (tests.Count == 0) throw new ArgumentException($"Rule '{name}' has no conditions.", nameof(tests));
        Name = name;
        Tests = tests;
        Match = match;
        Behaviour = behaviour;
    }

    public string Name { get; }
    public IReadOnlyList<ConditionTest> Tests { get; }
    public ConditionMatch Match { get; }
    public SteeringPlan Behaviour { get; }

    /// <summary>Fires when any test passes.</summary>
    public static ConditionalRule IfAny(string name, SteeringPlan behaviour, params ConditionTest[] tests) => new(name, tests, ConditionMatch.Any, behaviour);

    /// <summary>Fires when every test passes.</summary>
    public static ConditionalRule IfAll(string name, SteeringPlan behaviour, params ConditionTest[] tests) => new(name, tests, ConditionMatch.All, behaviour);

    /// <summary>Whether the rule fires, given whether each condition holds.</summary>
    public bool Fires(Func<SteeringCondition, bool> holds) => Match == ConditionMatch.Any
        ? Tests.Any(t => t.Passes(holds(t.Condition)))
        : Tests.All(t => t.Passes(holds(t.Condition)));

    public override string ToString() => $"{Name}: if {string.Join(Match == ConditionMatch.Any ? " or " : " and ", Tests)}";
}
