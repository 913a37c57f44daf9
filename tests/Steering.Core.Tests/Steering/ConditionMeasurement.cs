using LlamaSteer.Datasets;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Steering.Conditional;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Steering;

/// <summary>
/// Reruns the measurement behind the table of labelled prompt sets in vectors/README.md: for each shipped
/// set, the held-out accuracy of conditions fitted on its fit split, with the mean difference or a shipped
/// contrastive vector as the direction, each metric, a fixed layer or the layer cross-validation picks.
/// </summary>
[TestFixture, Explicit("measurement for vectors/README.md; prints a table")]
public class ConditionMeasurement
{
    [TestCase("girl-prompts", "tinystories-girl-boy")]
    [TestCase("sad-prompts", "tinystories-happy-sad")]
    public void HeldOutAccuracy(string name, string contrastive)
    {
        using var model = LlamaModel.Load(TestPaths.Model);
        var datasets = Path.Combine(TestPaths.RepoRoot, "vectors", "datasets");
        var set = LabelledPromptSet.Load(Path.Combine(datasets, "conditions", name + ".jsonl"));
        var data = DatasetTokenizer.Tokenize(model, ContrastiveDataset.Load(Path.Combine(datasets, contrastive + ".jsonl")));
        var vector = VectorTrainer.Train(model, data.Positives, data.Negatives, new TrainingOptions { Layers = LayerSet.Range(1, 4), Threads = 1 }, new()).Vector;
        foreach (var direction in new[] { null, vector })
            foreach (var metric in new[] { ConditionMetric.Projection, ConditionMetric.Cosine })
                foreach (var layers in new[] { "1", "2", "3", "4", "1-4" })
                {
                    var c = ConditionFitter.FitBestLayer(model, set.Select("fit", true), set.Select("fit", false), direction, LayerSet.Parse(layers, model.LayerCount), name, metric, threads: 1);
                    var rule = ConditionalRule.IfAny("r", SteeringPlan.None, c);
                    var pos = ConditionalSteering.Decide(model, set.Select("test", true), [rule], threads: 1);
                    var neg = ConditionalSteering.Decide(model, set.Select("test", false), [rule], threads: 1);
                    var acc = (pos.Count(d => d.Steered) + neg.Count(d => !d.Steered)) / (double)(pos.Count + neg.Count);
                    TestContext.Out.WriteLine($"{name} {(direction is null ? "mean-difference" : contrastive)} {metric} layers {layers} -> layer {c.Layer}: " +
                                              $"fit {c.FitAccuracy:F3} cv {c.CrossValidatedAccuracy:F3} held-out {acc:F3} (steered {pos.Count(d => d.Steered)}/{pos.Count} of the condition's, {neg.Count(d => d.Steered)}/{neg.Count} of the others)");
                }
    }
}
