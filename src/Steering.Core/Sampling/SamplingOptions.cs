namespace LlamaSteer.Sampling;

/// <summary>
/// How the next token is chosen. Temperature 0 means greedy (argmax) and ignores the other filters.
/// Validated by <see cref="Validate"/> at the boundary (CLI, HTTP, library entry).
/// </summary>
public sealed record SamplingOptions
{
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    /// <summary>Softmax temperature; 0 = greedy.</summary>
    public float Temperature { get; init; } = 0.8f;

    /// <summary>Keep the k most likely tokens; 0 = off.</summary>
    public int TopK { get; init; } = 40;

    /// <summary>Keep the smallest set whose probability reaches p; 1 = off.</summary>
    public float TopP { get; init; } = 0.95f;

    /// <summary>Drop tokens below min_p times the top probability; 0 = off.</summary>
    public float MinP { get; init; } = 0.05f;

    /// <summary>Penalty for repeating any of the last <see cref="RepeatLastN"/> tokens; 1 = off.</summary>
    public float RepeatPenalty { get; init; } = 1.0f;

    public int RepeatLastN { get; init; } = 64;

    /// <summary>Subtracted from a token's logit once per earlier occurrence in the window (OpenAI's frequency_penalty); 0 = off.</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>Subtracted from a token's logit when it occurred in the window at all (OpenAI's presence_penalty); 0 = off.</summary>
    public float PresencePenalty { get; init; }

    /// <summary>Random seed; null draws one.</summary>
    public uint? Seed { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid value.</summary>
    public SamplingOptions Validate()
    {
        if (!float.IsFinite(Temperature) || Temperature < 0) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be a finite number >= 0 (0 = greedy).");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "top-k must be >= 0 (0 = off).");
        if (!float.IsFinite(TopP) || TopP <= 0 || TopP > 1) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "top-p must be in (0, 1] (1 = off).");
        if (!float.IsFinite(MinP) || MinP < 0 || MinP > 1) throw new ArgumentOutOfRangeException(nameof(MinP), MinP, "min-p must be in [0, 1] (0 = off).");
        if (!float.IsFinite(RepeatPenalty) || RepeatPenalty <= 0) throw new ArgumentOutOfRangeException(nameof(RepeatPenalty), RepeatPenalty, "The repetition penalty must be a finite number > 0 (1 = off).");
        if (!float.IsFinite(FrequencyPenalty) || FrequencyPenalty is < -2 or > 2) throw new ArgumentOutOfRangeException(nameof(FrequencyPenalty), FrequencyPenalty, "The frequency penalty must be between -2 and 2.");
        if (!float.IsFinite(PresencePenalty) || PresencePenalty is < -2 or > 2) throw new ArgumentOutOfRangeException(nameof(PresencePenalty), PresencePenalty, "The presence penalty must be between -2 and 2.");
        if (RepeatLastN < 0) throw new ArgumentOutOfRangeException(nameof(RepeatLastN), RepeatLastN, "The repetition window must be >= 0.");
        return this;
    }
}
