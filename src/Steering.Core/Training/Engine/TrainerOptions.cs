namespace LlamaSteer.Training.Engine;

/// <summary>The loop's settings, validated once by <see cref="Validate"/>. Immutable.</summary>
public sealed record TrainerOptions
{
    public int Epochs { get; init; } = 1;

    /// <summary>Examples averaged into one gradient.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>Batches whose gradients are averaged before one optimizer step.</summary>
    public int GradientAccumulation { get; init; } = 1;

    public float LearningRate { get; init; } = 1e-3f;

    public float WeightDecay { get; init; }

    public int WarmupSteps { get; init; }

    /// <summary>Cosine decay to zero after warm-up; otherwise constant.</summary>
    public bool CosineSchedule { get; init; } = true;

    /// <summary>Seeds shuffling and every random draw of the objective: equal seeds give equal runs.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>CPU threads for the graph.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Keep the parameters of the epoch with the lowest validation loss (when there is a validation set).</summary>
    public bool KeepBestByValidation { get; init; } = true;

    /// <exception cref="ArgumentException">A count below 1, or a rate that is not a finite positive number.</exception>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"epochs must be at least 1, not {Epochs}.");
        if (BatchSize < 1) throw new ArgumentException($"batch size must be at least 1, not {BatchSize}.");
        if (GradientAccumulation < 1) throw new ArgumentException($"gradient accumulation must be at least 1, not {GradientAccumulation}.");
        if (!float.IsFinite(LearningRate) || LearningRate <= 0) throw new ArgumentException($"learning rate must be a positive finite number, not {LearningRate}.");
        if (!float.IsFinite(WeightDecay) || WeightDecay < 0) throw new ArgumentException($"weight decay must be a finite number of at least 0, not {WeightDecay}.");
        if (WarmupSteps < 0) throw new ArgumentException($"warm-up steps must be at least 0, not {WarmupSteps}.");
        if (Threads < 1) throw new ArgumentException($"threads must be at least 1, not {Threads}.");
    }
}
