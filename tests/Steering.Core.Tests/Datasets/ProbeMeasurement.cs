using LlamaSteer.Capture;
using LlamaSteer.Datasets;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Native.SafeHandles;
using LlamaSteer.Steering;
using LlamaSteer.Vectors.Extraction;

namespace LlamaSteer.Core.Tests.Datasets;

/// <summary>
/// Extracts a dataset's mean-difference vector from last-token activations and measures how adding
/// it to the residual stream moves log p(probe positive) - log p(probe negative) (first token of
/// each) after held-out prompts. One thread: cheap enough for a test on stories260K.
/// </summary>
internal static class ProbeMeasurement
{
    public static IReadOnlyList<LayerDirection> Extract(LlamaModel model, ContrastiveDataset dataset, LayerSet layers)
    {
        var tokenized = DatasetTokenizer.Tokenize(model, dataset);
        using var capturer = new ActivationCapturer(model, threads: 1);
        var pos = capturer.Capture(tokenized.Positives, layers, CapturePositions.LastToken);
        var neg = capturer.Capture(tokenized.Negatives, layers, CapturePositions.LastToken);
        return VectorExtractor.Extract(pos, neg, new ExtractionOptions { Method = ExtractionMethod.Mean, Scaling = VectorScaling.Raw });
    }

    /// <summary>The mean over the probe's prompts of the log-probability difference, with strength x direction added at each direction's layer.</summary>
    public static double MeanLogProbDifference(LlamaModel model, IReadOnlyList<LayerDirection> directions, float strength, ProbeSet probe)
    {
        var positive = FirstToken(model, probe.Positive);
        var negative = FirstToken(model, probe.Negative);
        var embd = model.EmbeddingSize;
        var first = directions.Min(d => d.Layer);
        var last = directions.Max(d => d.Layer);
        if (first < 1) throw new ArgumentException("llama.cpp's control vector starts at layer 1.");
        // n_embd floats per layer from layer 1: entry il-1 is added to l_out-il.
        var data = new float[last * embd];
        foreach (var d in directions)
            for (var k = 0; k < embd; k++) data[(d.Layer - 1) * embd + k] = strength * d.Direction[k];

        using var context = model.CreateContext(new ContextOptions { Threads = 1 });
        using var lease = context.Acquire();
        lease.SetControlVector(data, first, last);
        var batch = new TokenBatch();
        var sum = 0.0;
        foreach (var prompt in probe.Prompts)
        {
            batch.Clear();
            batch.AddSequence(model.Tokenize(prompt), 0);
            lease.ClearMemory();
            var status = lease.Decode(batch);
            if (status != DecodeStatus.Ok) throw new InvalidOperationException($"Decode returned {status}.");
            var logits = lease.Logits(-1);
            sum += LogProb(logits, positive) - LogProb(logits, negative);
        }
        return sum / probe.Prompts.Length;
    }

    /// <summary>The first token of a word as the model's tokenizer splits it (it adds the leading space itself).</summary>
    public static int FirstToken(LlamaModel model, string word) => model.Tokenize(word.TrimStart(), addSpecial: false)[0];

    private static double LogProb(ReadOnlySpan<float> logits, int token)
    {
        var max = double.NegativeInfinity;
        foreach (var l in logits) max = Math.Max(max, l);
        var sum = 0.0;
        foreach (var l in logits) sum += Math.Exp(l - max);
        return logits[token] - max - Math.Log(sum);
    }
}
