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

    /// <summary>Vectors added to the residual stream for the whole generation (through llama.cpp's control vector).</summary>
    public IReadOnlyList<VectorTerm> Vectors { get; init; } = [];

    public GenerationOptions Validate()
    {
        if (MaxTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "max-tokens must be at least 1.");
        Sampling.Validate();
        if (StopStrings.Any(string.IsNullOrEmpty)) throw new ArgumentException("A stop string is empty.", nameof(StopStrings));
        return this;
    }
}
