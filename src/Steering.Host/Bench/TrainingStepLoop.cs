using System.Diagnostics;
using LlamaSteer.Inference;
using LlamaSteer.Native.SafeHandles;
using LlamaSteer.Steering;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Losses;
using LlamaSteer.Training.Parameters;

namespace LlamaSteer.Host.Bench;

/// <summary>
/// The training-step row and its baseline: one llama_decode of a sequence with logits at every position, against one
/// training step on the same tokens (the training graph's forward and backward pass to a steering vector's gradient).
/// </summary>
internal static class TrainingStepLoop
{
    /// <summary>Decodes <paramref name="tokens"/> as one batch with every logit, <paramref name="repeats"/> times; tokens/s.</summary>
    public static double Decode(ContextLease lease, int[] tokens, int repeats)
    {
        var batch = new TokenBatch();
        for (var i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, 0, output: true);
        var watch = Stopwatch.StartNew();
        for (var r = 0; r < repeats; r++)
        {
            lease.ClearMemory();
            if (lease.Decode(batch) != DecodeStatus.Ok) throw new InvalidOperationException("llama_decode failed in the bench.");
        }
        return tokens.Length * repeats / watch.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// <paramref name="repeats"/> training steps on <paramref name="tokens"/> (graph built, allocated, forward and backward,
    /// gradient read), a vector trained on <paramref name="layers"/>; tokens/s.
    /// </summary>
    public static double Step(ModelWeights weights, int threads, int[] tokens, LayerSet layers, int repeats)
    {
        var vectors = new LayerVectors(layers.Layers, weights.Hyperparameters.EmbeddingSize);
        using var runner = new GraphRunner(threads);
        var watch = Stopwatch.StartNew();
        for (var r = 0; r < repeats; r++)
        {
            using var step = new GraphStep(LlamaGraphBuilder.NodeBudget(weights.Hyperparameters.LayerCount, 1));
            var pass = new LlamaGraphBuilder(weights, step).Build(tokens, vectors);
            step.SetLoss(SequenceLogProbability.Build(step, pass.Logits, tokens, 1));
            runner.ForwardBackward(step);
            _ = runner.Gradients(step);
        }
        return tokens.Length * repeats / watch.Elapsed.TotalSeconds;
    }
}
