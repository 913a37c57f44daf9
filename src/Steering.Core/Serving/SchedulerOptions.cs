namespace LlamaSteer.Serving;

/// <summary>How a <see cref="ContinuousBatchScheduler"/> is sized. Validated when the scheduler is created.</summary>
public sealed record SchedulerOptions
{
    /// <summary>Sequence slots decoded together (llama.cpp's n_seq_max).</summary>
    public int Slots { get; init; } = 4;

    /// <summary>Requests that may wait for a slot; one more is refused with <see cref="QueueFullException"/>.</summary>
    public int QueueLimit { get; init; } = 64;

    /// <summary>Tokens each slot may hold (prompt and generation); null: the model's trained length, at most 2048.</summary>
    public int? SlotContext { get; init; }

    /// <summary>Most prompt tokens prefilled per decode step, so a long prompt does not stall sequences that are decoding.</summary>
    public int PrefillChunk { get; init; } = 128;

    /// <summary>Threads; null: the default for the model's size.</summary>
    public int? Threads { get; init; }

    internal void Validate()
    {
        if (Slots is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(Slots), Slots, "Between 1 and 256 slots can be decoded together.");
        if (QueueLimit < 0) throw new ArgumentOutOfRangeException(nameof(QueueLimit), QueueLimit, "The queue limit must be >= 0.");
        if (SlotContext is < 8) throw new ArgumentOutOfRangeException(nameof(SlotContext), SlotContext, "A slot must hold at least 8 tokens.");
        if (PrefillChunk < 1) throw new ArgumentOutOfRangeException(nameof(PrefillChunk), PrefillChunk, "The prefill chunk must be at least 1 token.");
        if (Threads is < 1) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "At least one thread is needed.");
    }
}
