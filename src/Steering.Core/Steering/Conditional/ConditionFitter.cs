using System.Numerics.Tensors;
using LlamaSteer.Models;
using LlamaSteer.Vectors;

namespace LlamaSteer.Steering.Conditional;

/// <summary>A threshold and how well it separates labelled scores.</summary>
public sealed record ThresholdChoice(float Threshold, double Accuracy, double F1);

/// <summary>
/// Fits a <see cref="SteeringCondition"/> on labelled prompts: prompts the condition should hold for and
/// prompts it should not. The direction is either given or, by default, the difference of the two
/// classes' mean prompt states at the layer (positive − negative, the same recipe as a contrastive
/// steering vector); the threshold is the one that classifies the labelled prompts best. Deterministic;
/// thread-safe.
/// </summary>
public static class ConditionFitter
{
    /// <param name="conditionVector">The direction to score against; null: the mean difference of the labelled prompts' states.</param>
    /// <param name="layer">The layer whose residual stream is read.</param>
    /// <exception cref="ArgumentException">No prompts of a class, an empty prompt, a layer outside the model, or a vector without that layer.</exception>
    public static SteeringCondition Fit(
        LlamaModel model,
        IReadOnlyList<string> positivePrompts,
        IReadOnlyList<string> negativePrompts,
        SteeringVector? conditionVector,
        int layer,
        string name = "condition",
        ConditionMetric metric = ConditionMetric.Projection,
        int? threads = null,
        CancellationToken cancellationToken = default) =>
        FitBestLayer(model, positivePrompts, negativePrompts, conditionVector, LayerSet.Of([layer]), name, metric, threads: threads, cancellationToken: cancellationToken);

    /// <summary>
    /// Fits on the candidate layer that classifies best under k-fold cross-validation on the labelled prompts
    /// (fold i holds prompts i, i+k, ... of each class; direction and threshold are fitted on the other folds),
    /// ties to the earlier layer, then fits there on all of them. The chosen layer's cross-validated accuracy
    /// is recorded in <see cref="SteeringCondition.CrossValidatedAccuracy"/>: an estimate for unseen prompts,
    /// unlike <see cref="SteeringCondition.FitAccuracy"/>.
    /// </summary>
    /// <param name="folds">k; at most the size of the smaller class. With one candidate layer no cross-validation is run.</param>
    /// <exception cref="ArgumentException">No prompts of a class, an empty prompt, a layer outside the model, or a vector without a candidate layer.</exception>
    public static SteeringCondition FitBestLayer(
        LlamaModel model,
        IReadOnlyList<string> positivePrompts,
        IReadOnlyList<string> negativePrompts,
        SteeringVector? conditionVector,
        LayerSet layers,
        string name = "condition",
        ConditionMetric metric = ConditionMetric.Projection,
        int folds = 5,
        int? threads = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(positivePrompts);
        ArgumentNullException.ThrowIfNull(negativePrompts);
        ArgumentNullException.ThrowIfNull(layers);
        if (positivePrompts.Count == 0 || negativePrompts.Count == 0)
            throw new ArgumentException("A condition needs labelled prompts of both kinds: where it holds and where it does not.");
        layers.CheckAgainst(model.LayerCount);
        var missing = conditionVector is null ? [] : layers.Layers.Where(l => !conditionVector.HasLayer(l)).ToArray();
        if (missing.Length > 0)
            throw new ArgumentException($"The condition vector has no direction for layer(s) {LayerSet.Of(missing)} (it has {string.Join(",", conditionVector!.Layers)}).");

        var tokens = positivePrompts.Concat(negativePrompts).Select((p, i) => string.IsNullOrEmpty(p)
            ? throw new ArgumentException(i < positivePrompts.Count ? $"Positive prompt {i} is empty." : $"Negative prompt {i - positivePrompts.Count} is empty.")
            : model.Tokenize(p)).ToArray();
        var states = PromptStates.Capture(model, tokens, layers, threads, cancellationToken);
        float[][] Rows(int layer, int from, int count) => Enumerable.Range(from, count).Select(r => states.Row(layer, r).ToArray()).ToArray();

        var best = layers.First;
        double? bestCv = null;
        if (layers.Count > 1)
        {
            var k = Math.Clamp(folds, 2, Math.Min(positivePrompts.Count, negativePrompts.Count));
            foreach (var layer in layers.Layers)
            {
                var cv = CrossValidate(Rows(layer, 0, positivePrompts.Count), Rows(layer, positivePrompts.Count, negativePrompts.Count), k,
                    (p, n) => FitAt(p, n, layer, conditionVector, name, metric, model));
                if (bestCv is null || cv > bestCv) (best, bestCv) = (layer, cv);
            }
        }
        return FitAt(Rows(best, 0, positivePrompts.Count), Rows(best, positivePrompts.Count, negativePrompts.Count), best, conditionVector, name, metric, model)
            with { CrossValidatedAccuracy = bestCv };
    }

    private static double CrossValidate(float[][] pos, float[][] neg, int k, Func<float[][], float[][], SteeringCondition> fit)
    {
        var correct = 0;
        for (var f = 0; f < k; f++)
        {
            var c = fit(pos.Where((_, i) => i % k != f).ToArray(), neg.Where((_, i) => i % k != f).ToArray());
            correct += pos.Where((_, i) => i % k == f).Count(r => c.Holds(c.Score(r)));
            correct += neg.Where((_, i) => i % k == f).Count(r => !c.Holds(c.Score(r)));
        }
        return (double)correct / (pos.Length + neg.Length);
    }

    private static SteeringCondition FitAt(float[][] pos, float[][] neg, int layer, SteeringVector? conditionVector, string name, ConditionMetric metric, LlamaModel model)
    {
        var vector = conditionVector ?? MeanDifference(pos, neg, layer, model, name);
        var probe = new SteeringCondition(name, vector, layer, 0, metric).Validate(model.EmbeddingSize, model.LayerCount);
        var posScores = pos.Select(r => probe.Score(r)).ToArray();
        var negScores = neg.Select(r => probe.Score(r)).ToArray();
        if (posScores.Average() < negScores.Average())
        {
            // A given vector may point the other way; orient it so that the condition's prompts score higher.
            vector = VectorComposer.Negate(vector, name);
            posScores = posScores.Select(s => -s).ToArray();
            negScores = negScores.Select(s => -s).ToArray();
        }
        var choice = ChooseThreshold(posScores, negScores);
        return new SteeringCondition(name, vector, layer, choice.Threshold, metric) { FitAccuracy = choice.Accuracy, FitF1 = choice.F1 };
    }

    /// <summary>
    /// The threshold t (a score holds when it is &gt; t) with the best accuracy on the labelled scores; ties go
    /// to the better F1, then to the wider margin (the distance from t to the nearest score), then to the
    /// lower t. Candidates are the midpoints between neighbouring distinct scores and points just outside
    /// their range.
    /// </summary>
    /// <exception cref="ArgumentException">No scores of a class, or a non-finite score.</exception>
    public static ThresholdChoice ChooseThreshold(IReadOnlyList<float> positiveScores, IReadOnlyList<float> negativeScores)
    {
        if (positiveScores.Count == 0 || negativeScores.Count == 0) throw new ArgumentException("Threshold selection needs scores of both classes.");
        if (positiveScores.Concat(negativeScores).Any(s => !float.IsFinite(s))) throw new ArgumentException("A score is not finite.");
        var all = positiveScores.Concat(negativeScores).Distinct().Order().ToArray();
        var spread = Math.Max(all[^1] - all[0], 1e-3f);
        var candidates = new List<float> { all[0] - spread / 2 };
        for (var i = 0; i + 1 < all.Length; i++)
        {
            // Between neighbouring floats the midpoint can round up onto the upper score, which would not hold there.
            var mid = all[i] / 2 + all[i + 1] / 2;
            candidates.Add(mid < all[i + 1] ? mid : all[i]);
        }
        candidates.Add(all[^1] + spread / 2);

        var n = positiveScores.Count + negativeScores.Count;
        ThresholdChoice? best = null;
        var bestMargin = 0f;
        foreach (var t in candidates)
        {
            var tp = positiveScores.Count(s => s > t);
            var fp = negativeScores.Count(s => s > t);
            var fn = positiveScores.Count - tp;
            var tn = negativeScores.Count - fp;
            var accuracy = (double)(tp + tn) / n;
            var f1 = tp == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn);
            var margin = all.Min(s => Math.Abs(s - t));
            var better = best is null
                || accuracy > best.Accuracy
                || (accuracy == best.Accuracy && (f1 > best.F1 || (f1 == best.F1 && margin > bestMargin)));
            if (!better) continue;
            best = new ThresholdChoice(t, accuracy, f1);
            bestMargin = margin;
        }
        return best!;
    }

    private static SteeringVector MeanDifference(float[][] pos, float[][] neg, int layer, LlamaModel model, string name)
    {
        var d = new float[model.EmbeddingSize];
        foreach (var r in pos) TensorPrimitives.MultiplyAdd(r, 1f / pos.Length, d, d);
        foreach (var r in neg) TensorPrimitives.MultiplyAdd(r, -1f / neg.Length, d, d);
        var norm = TensorPrimitives.Norm(d);
        if (norm == 0 || !float.IsFinite(norm))
            throw new InvalidOperationException($"The labelled prompts' states at layer {layer} do not differ between the classes: no condition direction.");
        TensorPrimitives.Divide(d, norm, d);
        return new SteeringVector(model.EmbeddingSize, new Dictionary<int, float[]> { [layer] = d }, model.Info.Architecture,
            new VectorProvenance { Method = "condition-mean", DatasetName = name, ModelEmbeddingSize = model.EmbeddingSize });
    }
}
