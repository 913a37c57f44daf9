using System.Numerics.Tensors;
using LlamaSteer.Capture;
using LlamaSteer.Core.Tests.Training;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Training.Methods.Clas;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Training.Tuning;

/// <summary>
/// What a tuned model does, measured through llama.cpp itself rather than the training graph: hidden states captured
/// by <see cref="ActivationCapturer"/> (llama_decode with the evaluation callback) and completion cross-entropy from
/// llama_decode's logits. Averaged as the tuner averages: per completion, then over completions.
/// </summary>
internal static class IndependentMeasures
{
    /// <summary>Mean over completions of the mean, over layers and response-predicting positions, of cos(h, v) (or |cos| when <paramref name="absolute"/>).</summary>
    public static double Cosine(LlamaModel model, SteeringVector vector, IReadOnlyList<int> layers, IReadOnlyList<CompletionExample> examples, bool absolute)
    {
        using var capturer = new ActivationCapturer(model, threads: 1);
        // The positions that predict the response: the last prompt token through the second-to-last token.
        var items = examples.Select(e => new CaptureItem(e.Tokens[..^1], e.ResponseStart - 1)).ToList();
        var captured = capturer.Capture(items, LayerSet.Of(layers), CapturePositions.AllTokens);
        var perExample = new double[examples.Count];
        var rows = new int[examples.Count];
        foreach (var layer in layers)
        {
            var v = vector.Direction(layer);
            for (var r = 0; r < captured.RowCount; r++)
            {
                var c = TensorPrimitives.CosineSimilarity(captured.Row(layer, r), v);
                perExample[captured.RowSample[r]] += absolute ? Math.Abs(c) : c;
                rows[captured.RowSample[r]]++;
            }
        }
        return Enumerable.Range(0, examples.Count).Average(i => perExample[i] / rows[i]);
    }

    /// <summary>Mean over completions of the response's mean token cross-entropy, from llama.cpp's logits (F32 attention).</summary>
    public static double TokenLoss(LlamaModel model, IReadOnlyList<CompletionExample> examples) =>
        examples.Average(e => -LlamaCppReference.LogProbability(model, e.Tokens, e.ResponseStart) / (e.Tokens.Length - e.ResponseStart));
}
