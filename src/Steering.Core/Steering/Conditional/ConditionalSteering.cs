using LlamaSteer.Models;
using Microsoft.Extensions.Logging;

namespace LlamaSteer.Steering.Conditional;

/// <summary>
/// Decides from each prompt which behaviour, if any, applies to its sequence (CAST): every condition of the
/// rules is scored on the prompt's mean hidden state, and the first rule (in order) whose tests match fires,
/// like if / else if. Each decision is logged (Information: every condition's score and threshold, and the
/// rule that fired) and returned. Stateless; thread-safe (each call captures in a context of its own).
/// </summary>
public static class ConditionalSteering
{
    /// <exception cref="ArgumentException">No rules, an empty prompt, or a condition that does not fit the model.</exception>
    public static IReadOnlyList<ConditionDecision> Decide(
        LlamaModel model,
        IReadOnlyList<string> prompts,
        IReadOnlyList<ConditionalRule> rules,
        ILogger? logger = null,
        int? threads = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        var tokens = prompts.Select((p, i) => string.IsNullOrEmpty(p) ? throw new ArgumentException($"Prompt {i} is empty.", nameof(prompts)) : model.Tokenize(p)).ToArray();
        return Decide(model, tokens, rules, logger, threads, cancellationToken);
    }

    /// <summary>Decides for prompts already tokenized as they will be generated from.</summary>
    public static IReadOnlyList<ConditionDecision> Decide(
        LlamaModel model,
        IReadOnlyList<int[]> prompts,
        IReadOnlyList<ConditionalRule> rules,
        ILogger? logger = null,
        int? threads = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.Count == 0) throw new ArgumentException("No rules to decide with.", nameof(rules));
        if (prompts.Count == 0) return [];
        // Distinct conditions by instance, in order of first use.
        var conditions = new List<SteeringCondition>();
        foreach (var t in rules.SelectMany(r => r.Tests))
            if (!conditions.Any(c => ReferenceEquals(c, t.Condition)))
                conditions.Add(t.Condition.Validate(model.EmbeddingSize, model.LayerCount));

        var states = PromptStates.Capture(model, prompts, LayerSet.Of(conditions.Select(c => c.Layer)), threads, cancellationToken);
        var decisions = new ConditionDecision[prompts.Count];
        for (var p = 0; p < prompts.Count; p++)
        {
            var outcomes = conditions.Select(c =>
            {
                var score = c.Score(states.Row(c.Layer, p));
                return new ConditionOutcome(c.Name, c.Layer, score, c.Threshold, c.Holds(score));
            }).ToArray();
            bool Holds(SteeringCondition c) => outcomes[conditions.FindIndex(x => ReferenceEquals(x, c))].Holds;
            var fired = rules.FirstOrDefault(r => r.Fires(Holds));
            decisions[p] = new ConditionDecision(p, outcomes, fired);
            Log(logger, decisions[p]);
        }
        return decisions;
    }

    private static void Log(ILogger? logger, ConditionDecision d)
    {
        if (logger is null || !logger.IsEnabled(LogLevel.Information)) return;
        foreach (var o in d.Conditions)
            logger.LogInformation("Prompt {PromptIndex}: condition {Condition} at layer {Layer} scored {Score} against threshold {Threshold}: {Outcome}",
                d.Index, o.Condition, o.Layer, o.Score, o.Threshold, o.Holds ? "holds" : "does not hold");
        if (d.Rule is { } r)
            logger.LogInformation("Prompt {PromptIndex}: rule {Rule} fired; steering with {Terms} term(s)", d.Index, r.Name, r.Behaviour.Terms.Count);
        else
            logger.LogInformation("Prompt {PromptIndex}: no rule fired; not steered", d.Index);
    }
}
