namespace LlamaSteer.Training.Methods.Tokens;

/// <summary>Settings of steering-token training; validated by <see cref="Validate"/>. Immutable.</summary>
public sealed record TokenTrainingOptions
{
    /// <summary>Teacher continuations sampled per base prompt (and per pair, for a composition token).</summary>
    public int Samples { get; init; } = 4;

    /// <summary>Tokens per teacher continuation.</summary>
    public int MaxTokens { get; init; } = 24;

    public int Epochs { get; init; } = 4;

    public float LearningRate { get; init; } = 1e-2f;

    /// <summary>Examples whose gradients are averaged into one optimizer step.</summary>
    public int GradientAccumulation { get; init; } = 4;

    /// <summary>Every this-many-th base prompt is held out to measure the KL on prompts not trained on.</summary>
    public int HoldOutEvery { get; init; } = 4;

    public int Seed { get; init; } = 1;

    public int Threads { get; init; } = 1;

    /// <exception cref="ArgumentException">A count below 1 or a learning rate that is not a positive finite number.</exception>
    public TokenTrainingOptions Validate()
    {
        if (Samples < 1) throw new ArgumentException($"samples must be at least 1, not {Samples}.");
        if (MaxTokens < 1) throw new ArgumentException($"max-tokens must be at least 1, not {MaxTokens}.");
        if (Epochs < 1) throw new ArgumentException($"epochs must be at least 1, not {Epochs}.");
        if (GradientAccumulation < 1) throw new ArgumentException($"gradient accumulation must be at least 1, not {GradientAccumulation}.");
        if (HoldOutEvery < 2) throw new ArgumentException($"hold-out-every must be at least 2, not {HoldOutEvery}.");
        if (!float.IsFinite(LearningRate) || LearningRate <= 0) throw new ArgumentException($"learning rate must be a positive finite number, not {LearningRate}.");
        if (Threads < 1) throw new ArgumentException($"threads must be at least 1, not {Threads}.");
        return this;
    }

    /// <summary>The options as one readable line (saved with the token).</summary>
    public string Describe(int prompts) =>
        $"self-distillation: {prompts} base prompts, {Samples} samples x {MaxTokens} tokens, {Epochs} epochs, AdamW lr {LearningRate}, accumulation {GradientAccumulation}, seed {Seed}";
}
