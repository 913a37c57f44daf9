using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Graph;

namespace LlamaSteer.Training.Parameters;

/// <summary>
/// CLAS's trainable per-token strength: at each chosen layer the output h gets coef·u added, with coef = h·w + b
/// (no clipping: clamp has no backward, and the paper trains without) and u the steering direction scaled to unit
/// norm. w (<c>clas_w-N</c>, n_embd values) and b (<c>clas_b-N</c>, one value) start at zero and carry their own
/// learning rates. Not thread-safe.
/// </summary>
public sealed class ContextualStrengthParameters : IResidualEdit
{
    private readonly Dictionary<int, (TrainableTensor W, TrainableTensor B, float[] Unit)> _layers;

    /// <param name="directions">Per layer, the direction to steer along (normalised here).</param>
    public ContextualStrengthParameters(IReadOnlyDictionary<int, float[]> directions, float weightLearningRate, float biasLearningRate)
    {
        ArgumentNullException.ThrowIfNull(directions);
        if (directions.Count == 0) throw new ArgumentException("At least one layer is needed.", nameof(directions));
        _layers = directions.ToDictionary(d => d.Key, d =>
        {
            var norm = System.Numerics.Tensors.TensorPrimitives.Norm(d.Value);
            if (!(norm > 0) || !float.IsFinite(norm)) throw new ArgumentException($"The direction of layer {d.Key} has no usable norm ({norm}).");
            var unit = d.Value.Select(x => x / norm).ToArray();
            return (new TrainableTensor($"clas_w-{d.Key}", [unit.Length]) { LearningRate = weightLearningRate },
                    new TrainableTensor($"clas_b-{d.Key}", [1]) { LearningRate = biasLearningRate }, unit);
        });
    }

    public IReadOnlyList<int> Layers => [.. _layers.Keys.Order()];

    public IReadOnlyList<TrainableTensor> Tensors => [.. _layers.Keys.Order().SelectMany(l => new[] { _layers[l].W, _layers[l].B })];

    /// <summary>The current w of <paramref name="layer"/> (live values).</summary>
    public float[] Weights(int layer) => _layers[layer].W.Values;

    /// <summary>The current b of <paramref name="layer"/>.</summary>
    public float Bias(int layer) => _layers[layer].B.Values[0];

    public GgmlTensorRef Apply(GraphStep step, int layer, GgmlTensorRef layerOutput)
    {
        if (!_layers.TryGetValue(layer, out var p)) return layerOutput;
        var g = step.Context;
        var w = step.Parameter(p.W);
        var b = step.Parameter(p.B);
        var coefficient = g.Add(g.SumRows(g.Mul(layerOutput, w)), b).Named($"clas_coef-{layer}");      // [1, tokens]
        var unit = step.Constant($"clas_u-{layer}", p.Unit, p.Unit.Length);
        return g.Add(layerOutput, g.Mul(g.Repeat(unit, layerOutput), coefficient));
    }
}
