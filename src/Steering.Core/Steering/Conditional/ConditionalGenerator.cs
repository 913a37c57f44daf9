using LlamaSteer.Generation;
using LlamaSteer.Inference;
using Microsoft.Extensions.Logging;

namespace LlamaSteer.Steering.Conditional;

/// <summary>A generation and the decision that chose its steering.</summary>
public sealed record ConditionalGenerationResult(GenerationResult Result, ConditionDecision Decision);

/// <summary>
/// Conditional steering around a <see cref="BatchedGenerator"/>: for each request, the rules are decided on
/// its prompt (tokenized as it will be generated from; see <see cref="ConditionalSteering"/>), then every
/// request is generated together, a request whose rule fired with that rule's behaviour added to its own
/// plan, the others exactly as they would be without the rules. Holds the context exclusively while it
/// generates; the decisions are captured in a context of their own.
/// </summary>
public sealed class ConditionalGenerator
{
    private readonly IReadOnlyList<ConditionalRule> _rules;
    private readonly ILogger? _logger;

    /// <exception cref="ArgumentException">No rules.</exception>
    public ConditionalGenerator(InferenceContext context, IReadOnlyList<ConditionalRule> rules, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.Count == 0) throw new ArgumentException("No rules to decide with.", nameof(rules));
        Context = context;
        _rules = rules.ToArray();
        _logger = logger;
    }

    public InferenceContext Context { get; }

    /// <summary>Decides and generates every request; results are in request order.</summary>
    /// <exception cref="ArgumentException">An invalid request, plan or condition (checked before any generation).</exception>
    public IReadOnlyList<ConditionalGenerationResult> Generate(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (requests.Count == 0) return [];
        var prompts = requests.Select(r => TextGenerator.PrepareTokens(Context, r.Prompt, r.Options)).ToArray();
        var decisions = ConditionalSteering.Decide(Context.Model, prompts, _rules, _logger, Context.Threads, cancellationToken);
        var steered = requests.Select((r, i) => decisions[i].Plan is { } behaviour
            ? r with { Options = r.Options with { Plan = r.Options.Plan is { } own ? new SteeringPlan([.. own.Terms, .. behaviour.Terms]) : behaviour } }
            : r).ToArray();
        var results = new BatchedGenerator(Context).Generate(steered, cancellationToken);
        return results.Select((g, i) => new ConditionalGenerationResult(g, decisions[i])).ToArray();
    }
}
