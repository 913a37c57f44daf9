using LlamaSteer.Evaluation.Checkers;
using LlamaSteer.Prompts;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.Evaluation;

/// <summary>
/// One vector a sweep evaluates: a file, or the vector one extraction method made from a dataset. With
/// <paramref name="Contextual"/> (CLAS parameters), each cell's strength is scaled per token by the
/// coefficient computed from the hidden state instead of applying the same amount to every token. With
/// <see cref="AdjustToTarget"/>, each cell sets every token's projection on the vector's unit direction to
/// the strength times the positives' mean projection stored in the file (<see cref="SteeringTerms.AdjustToTarget"/>;
/// strength 1 is the paper's rule) instead of adding.
/// </summary>
public sealed record SweepCandidate(string Name, SteeringVector Vector, IContextualStrength? Contextual = null)
{
    /// <summary>Steer by adjust-to-target (the vector must carry its training calibration) instead of adding.</summary>
    public bool AdjustToTarget { get; init; }

    /// <summary>Strengths this candidate is swept at instead of the sweep's (adjust-to-target is usually run at 1 only).</summary>
    public IReadOnlyList<float>? Strengths { get; init; }
}

/// <summary>
/// A prompt-side setting a sweep measures beside the vector cells: these pieces (steering tokens, or an instruction as
/// text) in front of every prompt, with no vector. Its cell's layers read "prompt" and its strength 1.
/// </summary>
public sealed record SweepPrefix(string Name, IReadOnlyList<PromptPiece> Pieces);

/// <summary>
/// What <see cref="SteeringSweep"/> measures: every candidate on every layer row at every strength (one
/// plan per cell), on a set of prompts. Validated by <see cref="Validate"/> before anything is decoded.
/// </summary>
public sealed record SweepSettings
{
    public required IReadOnlyList<SweepCandidate> Candidates { get; init; }

    /// <summary>Prompt-side settings (steering tokens, instructions) measured as extra cells after the vector cells.</summary>
    public IReadOnlyList<SweepPrefix> Prefixes { get; init; } = [];

    /// <summary>Layer rows: each row steers its layers together (a row of one layer sweeps that layer alone).</summary>
    public required IReadOnlyList<LayerSet> LayerRows { get; init; }

    public required IReadOnlyList<float> Strengths { get; init; }

    /// <summary>Prompts (already chat-formatted when the model is a chat model).</summary>
    public required IReadOnlyList<string> Prompts { get; init; }

    /// <summary>Next-token probe: log p(positive) - log p(negative) after each prompt. Null: not measured.</summary>
    public ProbeTokens? Probe { get; init; }

    /// <summary>Words whose presence in a generation marks the concept. Empty: the concept rate is not measured.</summary>
    public IReadOnlyList<string> Keywords { get; init; } = [];

    /// <summary>IFEval-style checks applied to every generation.</summary>
    public IReadOnlyList<ITextCheck> Checks { get; init; } = [];

    /// <summary>A held-out neutral text whose perplexity under steering measures the fluency cost. Null: not measured.</summary>
    public string? NeutralText { get; init; }

    /// <summary>Tokens generated per sample.</summary>
    public int MaxTokens { get; init; } = 32;

    /// <summary>Generations per prompt and cell; sample k of prompt p uses seed Seed + p * Samples + k in every cell.</summary>
    public int Samples { get; init; } = 2;

    /// <summary>Sampling for the generations (its Seed is replaced per sample, see <see cref="Samples"/>).</summary>
    public SamplingOptions Sampling { get; init; } = new();

    public uint Seed { get; init; } = 1;

    /// <summary>Parse special tokens in prompts (chat templates).</summary>
    public bool ParseSpecialTokens { get; init; }

    /// <summary>The recommendation only considers cells whose neutral-text perplexity is at most this many times the unsteered one.</summary>
    public double MaxPerplexityRatio { get; init; } = 1.5;

    public int? Threads { get; init; }

    /// <summary>Checks everything against the model before decoding.</summary>
    /// <exception cref="ArgumentException">Nothing to sweep, an empty prompt, a non-finite strength, layers outside the model or not in a vector, a bad bound or count.</exception>
    public SweepSettings Validate(int embeddingSize, int layerCount)
    {
        if (Candidates.Count == 0 && Prefixes.Count == 0) throw new ArgumentException("No vector, steering token or instruction to evaluate.");
        if (Candidates.Count > 0 && LayerRows.Count == 0) throw new ArgumentException("No layers to sweep.");
        if (Prefixes.Any(p => p.Pieces.Count == 0)) throw new ArgumentException($"The prompt setting '{Prefixes.First(p => p.Pieces.Count == 0).Name}' has no piece.");
        if (Prefixes.Select(p => p.Name).Distinct().Count() != Prefixes.Count) throw new ArgumentException("Two prompt settings have the same name.");
        if (Strengths.Count == 0) throw new ArgumentException("No strengths to sweep.");
        if (Prompts.Count == 0) throw new ArgumentException("The prompt set is empty.");
        if (Prompts.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("A prompt is empty.");
        if (Strengths.FirstOrDefault(s => !float.IsFinite(s)) is var bad && Strengths.Any(s => !float.IsFinite(s)))
            throw new ArgumentException($"The strength {bad} is not a finite number.");
        if (Candidates.Select(c => c.Name).Distinct().Count() != Candidates.Count) throw new ArgumentException("Two vectors have the same name.");
        if (MaxTokens < 1) throw new ArgumentException("max-tokens must be at least 1.");
        if (Samples < 1) throw new ArgumentException("samples must be at least 1.");
        if (!double.IsFinite(MaxPerplexityRatio) || MaxPerplexityRatio < 1)
            throw new ArgumentException($"The perplexity-ratio bound must be a finite number >= 1 (got {MaxPerplexityRatio}).");
        Sampling.Validate();
        foreach (var c in Candidates)
            foreach (var row in LayerRows)
                Plan(c, row, 1).Validate(embeddingSize, layerCount, int.MaxValue);
        return this;
    }

    /// <summary>
    /// The plan of one cell: the candidate added at the strength on the row's layers, every token (scaled per
    /// token by its contextual strength, if any); for an adjust-to-target candidate, the projection set to the
    /// strength times the stored target on each of the row's layers.
    /// </summary>
    /// <exception cref="ArgumentException">An adjust-to-target candidate without calibration on a row's layer.</exception>
    public static SteeringPlan Plan(SweepCandidate candidate, LayerSet layers, float strength) =>
        candidate.AdjustToTarget
            ? new(SteeringTerms.AdjustToTarget(candidate.Vector, layers, name: candidate.Name).Select(t => t with { Strength = t.Strength * strength }).ToList())
            : new([new SteeringTerm(candidate.Vector, strength, layers) { Name = candidate.Name, Contextual = candidate.Contextual }]);
}
