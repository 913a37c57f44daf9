using LlamaSteer.Inference;

namespace LlamaSteer.Steering;

/// <summary>
/// Applies per-sequence steering plans inside LlamaSteer's evaluation callback: the graph hook over a
/// <see cref="PlanSchedule"/>, which holds the plan semantics (rows by sequence and window; add, ablate,
/// clamp, CLAS) without native code. Before each decode, <see cref="Prepare"/> plans which rows of l_out each
/// layer steers; during the decode only those layers are asked for. Rows of sequences without a plan are never
/// touched, so sequences in one batch cannot affect each other. Not thread-safe: one per context.
/// </summary>
public sealed class PlanHook : IGraphHook
{
    private readonly PlanSchedule _schedule;

    public PlanHook(int layerCount, int embeddingSize) => _schedule = new PlanSchedule(layerCount, embeddingSize);

    /// <summary>True when the prepared batch has anything to steer.</summary>
    public bool HasWork => _schedule.HasWork;

    /// <summary>Plans the next decode of <paramref name="batch"/>; sequences missing from <paramref name="plans"/> are not steered.</summary>
    public void Prepare(TokenBatch batch, IReadOnlyDictionary<int, SequenceSteering> plans) => _schedule.Prepare(batch, plans);

    /// <inheritdoc cref="PlanSchedule.Report"/>
    public TokenSteering? Report(int entry) => _schedule.Report(entry);

    public bool Wants(in GraphTensor tensor) => _schedule.Wants(tensor.ResidualLayer);

    public bool OnComputed(in GraphTensor tensor)
    {
        _schedule.Apply(tensor.ResidualLayer, tensor);
        return true;
    }
}
