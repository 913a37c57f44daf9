namespace LlamaSteer.Training.Engine;

/// <summary>Where a run is: reported after every optimizer step and after each epoch's validation.</summary>
/// <param name="Step">Optimizer steps done.</param>
/// <param name="TotalSteps">Optimizer steps the run will take.</param>
/// <param name="Loss">The mean training loss of the last step.</param>
/// <param name="ValidationLoss">The last epoch's validation loss, when there is a validation set.</param>
/// <param name="TokensPerSecond">Tokens through the model (forward and backward) per second so far.</param>
public readonly record struct TrainingProgress(int Epoch, int Step, int TotalSteps, double Loss, double? ValidationLoss, double TokensPerSecond, double LearningRate)
{
    /// <summary>The last step's mean of each loss term the objective named (<see cref="Graph.GraphStep.Term"/>), in its order; empty when it named none.</summary>
    public IReadOnlyList<(string Name, double Value)> Terms { get; init; } = [];
}

/// <summary>What a run did: per-epoch losses, the epoch whose parameters were kept, and why it stopped.</summary>
public sealed record TrainingRunReport(
    IReadOnlyList<double> EpochTrainingLoss,
    IReadOnlyList<double> EpochValidationLoss,
    int KeptEpoch,
    int Steps,
    double TokensPerSecond,
    long PeakComputeBytes,
    string? StoppedBecause);

/// <summary>The parameters at the end of an epoch, for checkpoint writers.</summary>
public sealed record TrainingCheckpoint(int Epoch, double TrainingLoss, double? ValidationLoss, IReadOnlyDictionary<string, float[]> Values);
