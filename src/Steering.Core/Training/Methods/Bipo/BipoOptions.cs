namespace LlamaSteer.Training.Methods.Bipo;

/// <summary>How the vector starts: at zero (the paper's code) or at the mean difference of the responses' activations.</summary>
public enum BipoInit
{
    Zero,
    Mean,
}

/// <summary>BiPO's settings, defaulting to the paper's code (β 0.1, AdamW lr 5e-4, weight decay 0.05, cosine, batch 4, 20 epochs, v = 0). Validated by <see cref="Validate"/>.</summary>
public sealed record BipoOptions
{
    public required IReadOnlyList<int> Layers { get; init; }

    public float Beta { get; init; } = 0.1f;

    public float LearningRate { get; init; } = 5e-4f;

    public int Epochs { get; init; } = 20;

    public int BatchSize { get; init; } = 4;

    public float WeightDecay { get; init; } = 0.05f;

    public int WarmupSteps { get; init; } = 100;

    public BipoInit Init { get; init; } = BipoInit.Zero;

    public int Seed { get; init; } = 1;

    public int Threads { get; init; } = 1;

    /// <exception cref="ArgumentException">A value out of range (named in the message).</exception>
    public void Validate(int layerCount)
    {
        if (Layers.Count == 0) throw new ArgumentException("--layers names no layer.");
        foreach (var l in Layers)
        {
            if (l == 0) throw new ArgumentException("layer 0 cannot be held by a control-vector file (llama.cpp's direction.N starts at 1); choose layers from 1.");
            if (l < 0 || l >= layerCount) throw new ArgumentException($"layer {l} is outside the model's layers 1..{layerCount - 1}.");
        }
        if (!float.IsFinite(Beta) || Beta <= 0) throw new ArgumentException($"--beta must be a positive finite number, not {Beta}.");
        if (!float.IsFinite(LearningRate) || LearningRate <= 0) throw new ArgumentException($"--lr must be a positive finite number, not {LearningRate}.");
        if (Epochs < 1) throw new ArgumentException($"--epochs must be at least 1, not {Epochs}.");
        if (BatchSize < 1) throw new ArgumentException($"--batch must be at least 1, not {BatchSize}.");
        if (!float.IsFinite(WeightDecay) || WeightDecay < 0) throw new ArgumentException($"--weight-decay must be a finite number of at least 0, not {WeightDecay}.");
        if (WarmupSteps < 0) throw new ArgumentException($"--warmup must be at least 0, not {WarmupSteps}.");
    }
}
