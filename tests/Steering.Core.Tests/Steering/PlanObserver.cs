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
