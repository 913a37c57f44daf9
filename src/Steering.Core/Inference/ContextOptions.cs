namespace LlamaSteer.Inference;

/// <summary>How a context is created. Validated when the context is created.</summary>
public sealed record ContextOptions
{
    /// <summary>Context length in tokens (shared by all sequences); null: the model's trained length, at most 4096.</summary>
    public int? ContextSize { get; init; }

    /// <summary>Most tokens one decode call may carry (n_batch).</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>Most independent sequences decoded together (n_seq_max).</summary>
    public int MaxSequences { get; init; } = 1;

    /// <summary>Threads; null: <see cref="Models.ThreadDefaults"/> for the model's size.</summary>
    public int? Threads { get; init; }

    /// <summary>
    /// Install the evaluation callback so graph hooks (activation capture, per-token steering) can run.
    /// A context without it decodes with no callback overhead at all.
    /// </summary>
    public bool EnableGraphHooks { get; init; }

    /// <summary>
    /// Attention in F32 throughout: an F32 KV cache (twice the memory of the default F16) and no flash attention, whose CPU
    /// kernel rounds to F16. For comparisons of two computations that differ only in float rounding: with the defaults a
    /// difference of one ulp in the residual stream can land on the other side of an F16 rounding and move logits by 1e-3.
    /// </summary>
    public bool ExactAttention { get; init; }

    internal void Validate()
    {
        if (ContextSize is { } n && n < 8) throw new ArgumentOutOfRangeException(nameof(ContextSize), n, "The context must hold at least 8 tokens.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "The batch size must be at least 1.");
        if (MaxSequences is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(MaxSequences), MaxSequences, "Between 1 and 256 sequences can be decoded together.");
        if (Threads is { } t && t < 1) throw new ArgumentOutOfRangeException(nameof(Threads), t, "At least one thread is needed.");
    }
}
