using LlamaSteer.Sampling;
using LlamaSteer.Steering;

namespace LlamaSteer.Generation;

/// <summary>What to generate: length, sampling, stop strings. Validated by <see cref="Validate"/>.</summary>
public sealed record GenerationOptions
{
    /// <summary>Most tokens to generate.</summary>
    public int MaxTokens { get; init; } = 128;

    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Generation ends before the first occurrence of any of these; the stop string is not returned.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Add BOS (and other special tokens) as the model's tokenizer asks.</summary>
    public bool AddSpecialTokens { get; init; } = true;

    /// <summary>Turn special-token text in the prompt into special tokens (chat templates need it).</summary>
    public bool ParseSpecialTokens { get; init; }

    /// <summary>Vectors added to the residual stream at every token (static adds; llama.cpp's control vector carries them).</summary>
    public IReadOnlyList<VectorTerm> Vectors { get; init; } = [];

    /// <summary>A steering plan (operators, windows, contextual strength); its terms join <see cref="Vectors"/>.</summary>
    public SteeringPlan? Plan { get; init; }

    /// <summary><see cref="Vectors"/> as static-add terms followed by the <see cref="Plan"/>'s terms.</summary>
    public SteeringPlan EffectivePlan()
    {
        if (Vectors.Count == 0) return Plan ?? SteeringPlan.None;
        var terms = Vectors.Select(v => new SteeringTerm(v.Vector, v.Strength, v.Layers) { Name = v.Name });
        return new SteeringPlan(terms.Concat(Plan?.Terms ?? []).ToList());
    }

    public GenerationOptions Validate()
    {
        if (MaxTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "max-tokens must be at least 1.");
        Sampling.Validate();
        if (StopStrings.Any(string.IsNullOrEmpty)) throw new ArgumentException("A stop string is empty.", nameof(StopStrings));
        return this;
    }
}
