using LlamaSteer.Training.Graph;

namespace LlamaSteer.Training.Methods.Bipo;

/// <summary>
/// BiPO's optional start (<c>--init mean</c>): per layer, the mean over pairs of the difference between the chosen and
/// the rejected response's mean layer output (<c>l_out-N</c> over the response tokens), from the training graph's forward pass.
/// </summary>
public static class MeanDifference
{
    public static IReadOnlyDictionary<int, float[]> Compute(ModelWeights weights, IReadOnlyList<TokenizedPreference> pairs, IReadOnlyList<int> layers,
        int threads, CancellationToken cancellationToken = default)
    {
        var n = weights.Hyperparameters.EmbeddingSize;
        var sums = layers.ToDictionary(l => l, _ => new double[n]);
        using var runner = new GraphRunner(threads);
        foreach (var pair in pairs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Accumulate(runner, weights, pair.Chosen, pair.PromptLength, layers, sums, +1.0 / pairs.Count);
            Accumulate(runner, weights, pair.Rejected, pair.PromptLength, layers, sums, -1.0 / pairs.Count);
        }
        return sums.ToDictionary(kv => kv.Key, kv => kv.Value.Select(v => (float)v).ToArray());
    }

    private static void Accumulate(GraphRunner runner, ModelWeights weights, int[] tokens, int start, IReadOnlyList<int> layers, Dictionary<int, double[]> sums, double weight)
    {
        using var step = new GraphStep(LlamaGraphBuilder.NodeBudget(weights.Hyperparameters.LayerCount, 1));
        var pass = new LlamaGraphBuilder(weights, step).Build(tokens);
        foreach (var l in layers) step.Output(pass.LayerOutputs[l]);
        runner.Forward(step);
        var n = weights.Hyperparameters.EmbeddingSize;
        var count = tokens.Length - start;
        foreach (var l in layers)
        {
            var values = pass.LayerOutputs[l].ReadFloats();
            var sum = sums[l];
            for (var t = start; t < tokens.Length; t++)
                for (var i = 0; i < n; i++) sum[i] += weight * values[t * n + i] / count;
        }
    }
}
