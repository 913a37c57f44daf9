using LlamaSteer.Generation;

namespace LlamaSteer.Serving;

/// <summary>The log-probability of a token and, when asked for, the most likely alternatives at that step.</summary>
public sealed record TokenLogprob(int Token, float Logprob, IReadOnlyList<(int Token, float Logprob)> Top);

/// <summary>One step of a served sequence: the generated token and its text, and its log-probability when the request asked for it.</summary>
public readonly record struct ServedToken(GeneratedToken Piece, TokenLogprob? Logprob);
