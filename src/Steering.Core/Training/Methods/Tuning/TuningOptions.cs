using LlamaSteer.Training.Graph;

namespace LlamaSteer.Training.Methods.Tuning;

/// <summary>
/// Representation tuning's settings, validated against the model and vector by <see cref="TuningChecks"/> before
/// anything trains. Immutable.
/// </summary>
public sealed record TuningOptions
{
    /// <summary>The layers whose outputs (<c>l_out-N</c>) carry the representation loss; their blocks' chosen tensors are trained.</summary>
    public required IReadOnlyList<int> Layers { get; init; }

    public TuningMode Mode { get; init; } = TuningMode.In;

    /// <summary>The block matrices to train (<see cref="BlockTensors"/> names).</summary>
    public IReadOnlyList<string> Tensors { get; init; } = [BlockTensors.Down, BlockTensors.AttentionOutput];

    /// <summary>The rank of a low-rank update W + B·A; null trains full F32 copies of the tensors.</summary>
    public int? Rank { get; init; }

    /// <summary>The weight λ of the representation loss beside the token loss.</summary>
    public float Lambda { get; init; } = 1f;

    public TunedTensorType OutputType { get; init; } = TunedTensorType.Original;

    public int Epochs { get; init; } = 4;

    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>Examples whose gradients make one AdamW step.</summary>
    public int GradientAccumulation { get; init; } = 4;

    public int Seed { get; init; } = 1;

    public int Threads { get; init; } = 1;
}
