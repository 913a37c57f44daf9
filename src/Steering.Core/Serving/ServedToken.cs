using LlamaSteer.Generation;
using LlamaSteer.Steering;

namespace LlamaSteer.Serving;

/// <summary>The log-probability of a token and, when asked for, the most likely alternatives at that step.</summary>
public sealed record TokenLogprob(int Token, float Logprob, IReadOnlyList<(int Token, float Logprob)> Top);

/// <summary>
/// One step of a served sequence: the generated token and its text, its log-probability when the request asked for it,
/// how it was steered (null for a sequence without a plan) and the revision of the plan in force when it was produced
/// (0 for the plan it was submitted with, +1 for each <see cref="ContinuousBatchScheduler.ReplacePlan"/> applied since).
/// </summary>
public readonly record struct ServedToken(GeneratedToken Piece, TokenLogprob? Logprob, TokenSteering? Steering = null, int PlanRevision = 0);
