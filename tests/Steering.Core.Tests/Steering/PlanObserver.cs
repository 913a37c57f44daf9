using LlamaSteer.Capture;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Steering;

namespace LlamaSteer.Core.Tests.Steering;

/// <summary>Decodes tokens with a plan and reads one layer's rows after the plan has been applied to them.</summary>
internal static class PlanObserver
{
    public static float[] LayerRowsAfter(LlamaModel model, SteeringPlan plan, int[] tokens, int layer, int promptLength)
    {
        using var ctx = model.CreateContext(new ContextOptions { Threads = 1, EnableGraphHooks = true, ContextSize = Math.Max(64, tokens.Length) });
        using var lease = ctx.Acquire();
        var batch = new TokenBatch();
        batch.AddSequence(tokens, 0, 0);
        var hook = new PlanHook(model.LayerCount, model.EmbeddingSize);
        hook.Prepare(batch, new Dictionary<int, SequenceSteering> { [0] = new(plan, promptLength) });
        var observer = new ObservingHook(hook, layer);
        lease.Decode(batch, observer);
        return observer.Rows;
    }

    /// <summary>
    /// Decodes several sequences in one batch (sequence i holds <c>sequences[i].Tokens</c> from position 0), each under its own
    /// plan, and returns each sequence's rows of <paramref name="layer"/> after the plans were applied.
    /// </summary>
    public static float[][] LayerRowsAfter(LlamaModel model, IReadOnlyList<(SteeringPlan Plan, int[] Tokens, int PromptLength)> sequences, int layer)
    {
        var total = sequences.Sum(s => s.Tokens.Length);
        using var ctx = model.CreateContext(new ContextOptions { Threads = 1, EnableGraphHooks = true, MaxSequences = sequences.Count, ContextSize = Math.Max(64, total) });
        using var lease = ctx.Acquire();
        var batch = new TokenBatch();
        var plans = new Dictionary<int, SequenceSteering>();
        for (var i = 0; i < sequences.Count; i++)
        {
            batch.AddSequence(sequences[i].Tokens, 0, i);
            plans[i] = new SequenceSteering(sequences[i].Plan, sequences[i].PromptLength);
        }
        var hook = new PlanHook(model.LayerCount, model.EmbeddingSize);
        hook.Prepare(batch, plans);
        var observer = new ObservingHook(hook, layer);
        lease.Decode(batch, observer);
        var embd = model.EmbeddingSize;
        var result = new float[sequences.Count][];
        var start = 0;
        for (var i = 0; i < sequences.Count; i++)
        {
            result[i] = observer.Rows.AsSpan(start * embd, sequences[i].Tokens.Length * embd).ToArray();
            start += sequences[i].Tokens.Length;
        }
        return result;
    }

    private sealed class ObservingHook(PlanHook plan, int layer) : IGraphHook
    {
        public float[] Rows = [];

        public bool Wants(in GraphTensor t) => plan.Wants(t) || ResidualCaptureHook.LayerOf(t.NameBytes) == layer;

        public bool OnComputed(in GraphTensor t)
        {
            if (plan.Wants(t)) plan.OnComputed(t);
            if (ResidualCaptureHook.LayerOf(t.NameBytes) == layer)
            {
                Rows = new float[t.RowCount * t.RowLength];
                t.ReadRows(0, (int)t.RowCount, Rows);
            }
            return true;
        }
    }
}
