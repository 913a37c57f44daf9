using LlamaSteer.Inference;
using LlamaSteer.Steering;

namespace LlamaSteer.Generation;

/// <summary>
/// Puts the steering of a generation in place on a leased context and removes it afterwards. When every
/// sequence shares one plan of static adds (or only <see cref="GenerationOptions.Vectors"/> are given),
/// llama.cpp's control vector carries it at no callback cost; otherwise a <see cref="PlanHook"/> applies
/// each sequence's plan row by row.
/// </summary>
internal sealed class SteeringBinding : IDisposable
{
    private readonly ContextLease _lease;
    private readonly bool _usesControlVector;
    private readonly Dictionary<int, SequenceSteering> _plans = new();

    private SteeringBinding(ContextLease lease, bool usesControlVector, PlanHook? hook)
    {
        _lease = lease;
        _usesControlVector = usesControlVector;
        Hook = hook;
    }

    /// <summary>The hook to pass to every decode, or null when no callback work is needed.</summary>
    public PlanHook? Hook { get; }

    /// <summary>Validates and installs the steering of the sequences (index = sequence id).</summary>
    /// <exception cref="ArgumentException">An invalid plan or vector, or a plan that needs the callback on a context created without it.</exception>
    public static SteeringBinding Install(ContextLease lease, IReadOnlyList<(SteeringPlan Plan, int PromptLength)> sequences)
    {
        var ctx = lease.Context;
        var model = ctx.Model;
        foreach (var (plan, _) in sequences) plan.Validate(model.EmbeddingSize, model.LayerCount, ctx.Size);
        var distinct = sequences.Select(s => s.Plan).Where(p => !p.IsEmpty).Distinct().ToList();
        if (distinct.Count == 0) return new SteeringBinding(lease, false, null);
        var shared = distinct.Count == 1 && sequences.All(s => ReferenceEquals(s.Plan, distinct[0]));
        if (shared && distinct[0].IsStaticAdd)
        {
            var terms = distinct[0].Terms.Select(t => new VectorTerm(t.Vector, t.Strength, t.Layers, t.Name)).ToList();
            var buffer = ControlVectorAdapter.Build(terms, model.EmbeddingSize, model.LayerCount);
            lease.SetControlVector(buffer.Data, buffer.FirstLayer, buffer.LastLayer);
            return new SteeringBinding(lease, true, null);
        }
        if (!ctx.Options.EnableGraphHooks)
            throw new ArgumentException("These steering plans need the evaluation callback (per-sequence, windowed, ablate/clamp or contextual terms, or layer 0); create the context with EnableGraphHooks.");
        var binding = new SteeringBinding(lease, false, new PlanHook(model.LayerCount, model.EmbeddingSize));
        for (var s = 0; s < sequences.Count; s++)
            if (!sequences[s].Plan.IsEmpty) binding._plans[s] = new SequenceSteering(sequences[s].Plan, sequences[s].PromptLength);
        return binding;
    }

    /// <summary>The hook prepared for this batch, or null when the batch needs no steering.</summary>
    public IGraphHook? For(TokenBatch batch)
    {
        if (Hook is null) return null;
        Hook.Prepare(batch, _plans);
        return Hook.HasWork ? Hook : null;
    }

    /// <summary>Stops steering a finished sequence.</summary>
    public void Remove(int sequence) => _plans.Remove(sequence);

    public void Dispose()
    {
        if (_usesControlVector) _lease.SetControlVector([], -1, -1);
    }
}
