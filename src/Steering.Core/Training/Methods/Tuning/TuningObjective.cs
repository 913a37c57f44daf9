using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Engine;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Losses;
using LlamaSteer.Training.Methods.Clas;
using LlamaSteer.Training.Parameters;

namespace LlamaSteer.Training.Methods.Tuning;

/// <summary>
/// Representation tuning's loss of one target completion: the token cross-entropy of the response (prompt masked)
/// plus λ times the representation loss, averaged over the chosen layers, at the positions that predict the response
/// (the last prompt token through the second-to-last token). Names both terms (<c>token</c>, <c>repr</c>) for the
/// progress bar. With no <see cref="TunedWeights"/> it measures the frozen model. Not thread-safe.
/// </summary>
public sealed class TuningObjective : ITrainingObjective<CompletionExample>
{
    private readonly IReadOnlyDictionary<int, float[]> _units;
    private readonly TunedWeights? _weights;

    /// <param name="units">Per layer, the unit direction (n_embd values).</param>
    public TuningObjective(IReadOnlyDictionary<int, float[]> units, TuningMode mode, float lambda, TunedWeights? weights)
    {
        ArgumentNullException.ThrowIfNull(units);
        if (units.Count == 0) throw new ArgumentException("at least one layer is needed.");
        if (!float.IsFinite(lambda) || lambda < 0) throw new ArgumentException($"lambda must be a finite number of at least 0, not {lambda}.");
        _units = units;
        _weights = weights;
        Mode = mode;
        Lambda = lambda;
    }

    public TuningMode Mode { get; }

    public float Lambda { get; }

    public IReadOnlyList<TrainableTensor> Parameters => _weights?.Tensors ?? [];

    public int TokenCount(CompletionExample example) => example.Tokens.Length;

    public GgmlTensorRef BuildLoss(GraphStep step, LlamaGraphBuilder builder, CompletionExample example, Random random)
    {
        var (token, representation, _) = BuildTerms(step, builder, example);
        step.Term("token", token);
        step.Term("repr", representation);
        return step.Context.Add(token, step.Context.Scale(representation, Lambda)).Named("tuning_loss");
    }

    /// <summary>The token loss, the representation loss and the mean cosine with the direction (over layers and positions) of one example.</summary>
    public (GgmlTensorRef Token, GgmlTensorRef Representation, GgmlTensorRef MeanCosine) BuildTerms(GraphStep step, LlamaGraphBuilder builder, CompletionExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        if (_weights is not null) builder = builder.With(_weights);
        var pass = builder.Build(example.Tokens);
        var (token, count) = SequenceLogProbability.MeanCrossEntropy(step, pass.Logits, example.Tokens, example.ResponseStart);
        var g = step.Context;
        GgmlTensorRef representation = default, cosine = default;
        foreach (var (layer, unit) in _units)
        {
            var hidden = g.Cont(g.Rows(pass.LayerOutputs[layer], example.ResponseStart - 1, count));
            var cosines = RepresentationLoss.Cosines(step, hidden, step.Constant($"unit-{layer}", unit, unit.Length));
            var loss = RepresentationLoss.FromCosines(step, cosines, Mode == TuningMode.In, $"-{layer}");
            var mean = g.Scale(g.Sum(cosines), 1f / count);
            representation = representation.IsNull ? loss : g.Add(representation, loss);
            cosine = cosine.IsNull ? mean : g.Add(cosine, mean);
        }
        var layers = 1f / _units.Count;
        return (token, g.Scale(representation, layers).Named("repr_loss"), g.Scale(cosine, layers).Named("mean_cos"));
    }
}
