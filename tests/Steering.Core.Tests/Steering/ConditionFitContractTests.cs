using System.Numerics.Tensors;
using LlamaSteer.Datasets;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Steering.Conditional;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;
using Microsoft.Extensions.Logging;

namespace LlamaSteer.Core.Tests.Steering;

/// <summary>
/// Conditions fitted and decided on the shared model, checked against what the fit promises computed here from the
/// prompts' states: the mean-difference direction, the reported accuracy and F1, the orientation of a given vector, the
/// cross-validated layer choice and its folds; the prompt state's BOS skipping; and the refusals of the fitter and of
/// the deciders, with their messages. Small prompt sets and no generation, so the whole class takes seconds.
/// </summary>
[TestFixture]
public class ConditionFitContractTests
{
    private LlamaModel _model = null!;
    private SteeringVector _girlBoy = null!;
    private LabelledPromptSet _girls = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _model = SharedModel.Model;
        _girlBoy = SharedModel.Vector("tinystories-girl-boy");
        _girls = LabelledPromptSet.Load(Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "conditions", "girl-prompts.jsonl"));
    }

    private string[] Girls(int count, string split = "fit") => _girls.Select(split, true).Take(count).ToArray();

    private string[] Boys(int count, string split = "fit") => _girls.Select(split, false).Take(count).ToArray();

    /// <summary>Each prompt's mean state at the layer, BOS excluded (the reading <see cref="PromptStateIsTheMeanOfTheTokensAfterBos"/> checks).</summary>
    private float[][] States(IReadOnlyList<string> prompts, int layer)
    {
        var states = PromptStates.Capture(_model, prompts.Select(p => _model.Tokenize(p)).ToArray(), LayerSet.Of([layer]), 1, default);
        return Enumerable.Range(0, prompts.Count).Select(r => states.Row(layer, r).ToArray()).ToArray();
    }

    private static float Projection(float[] state, ReadOnlySpan<float> direction) => TensorPrimitives.Dot(state, direction) / TensorPrimitives.Norm(direction);

    private static (double Accuracy, double F1) Classify(float[] positive, float[] negative, float threshold)
    {
        var tp = positive.Count(s => s > threshold);
        var fp = negative.Count(s => s > threshold);
        var accuracy = (double)(tp + negative.Length - fp) / (positive.Length + negative.Length);
        return (accuracy, tp == 0 ? 0 : 2.0 * tp / (tp + fp + positive.Length));
    }

    [Test]
    public void FittedDirectionIsTheUnitMeanDifferenceOfTheClassesStates()
    {
        const int layer = 2;
        var (girls, boys) = (Girls(6), Boys(6));
        var condition = ConditionFitter.Fit(_model, girls, boys, null, layer, "girl", threads: 1);

        var (pos, neg) = (States(girls, layer), States(boys, layer));
        var difference = new float[_model.EmbeddingSize];
        for (var k = 0; k < difference.Length; k++) difference[k] = pos.Average(r => r[k]) - neg.Average(r => r[k]);
        var norm = MathF.Sqrt(difference.Sum(v => v * v));
        Assert.That(condition.Vector.Direction(layer).ToArray(), Is.EqualTo(difference.Select(v => v / norm)).Within(1e-4f));
        Assert.That(condition.Vector.Norm(layer), Is.EqualTo(1f).Within(1e-5f), "a unit direction");
        Assert.That(condition.Vector.Layers, Is.EqualTo(new[] { layer }));
        var provenance = condition.Vector.Provenance;
        Assert.That((provenance.Method, provenance.DatasetName, provenance.ModelEmbeddingSize), Is.EqualTo(("condition-mean", "girl", (int?)_model.EmbeddingSize)));
        Assert.That((condition.Name, condition.Layer, condition.Metric), Is.EqualTo(("girl", layer, ConditionMetric.Projection)));

        var direction = condition.Vector.Direction(layer).ToArray();
        var (accuracy, f1) = Classify(pos.Select(r => Projection(r, direction)).ToArray(), neg.Select(r => Projection(r, direction)).ToArray(), condition.Threshold);
        Assert.That(condition.FitAccuracy, Is.EqualTo(accuracy).Within(1e-12), "accuracy on the prompts it was fitted on");
        Assert.That(condition.FitF1, Is.EqualTo(f1).Within(1e-12));
        Assert.That(condition.CrossValidatedAccuracy, Is.Null, "one layer: no cross-validation");
    }

    [Test]
    public void GivenVectorIsOrientedByTheClassAveragesNotTheirExtremes()
    {
        // A mislabelled prompt in each class makes the classes overlap: the lowest condition prompt scores below the
        // others' average, and an other prompt scores above the condition prompts' average.
        const int layer = 3;
        string[] girls = [.. Girls(5), Boys(6)[5]];
        string[] boys = [.. Boys(5), Girls(6)[5]];
        var pos = States(girls, layer).Select(r => Projection(r, _girlBoy.Direction(layer))).ToArray();
        var neg = States(boys, layer).Select(r => Projection(r, _girlBoy.Direction(layer))).ToArray();
        Assert.That(pos.Average(), Is.GreaterThan(neg.Average()), "the girl-boy vector scores the condition's prompts higher on average");
        Assert.That(pos.Min(), Is.LessThan(neg.Average()), "the classes no longer overlap; pick other prompts");
        Assert.That(neg.Max(), Is.GreaterThan(pos.Average()), "the classes no longer overlap; pick other prompts");

        foreach (var given in new[] { _girlBoy, VectorComposer.Negate(_girlBoy) })
        {
            var condition = ConditionFitter.Fit(_model, girls, boys, given, layer, "girl", threads: 1);
            Assert.That(condition.Vector.Direction(layer).ToArray(), Is.EqualTo(_girlBoy.Direction(layer).ToArray()));
            Assert.That(condition.Threshold, Is.EqualTo(ConditionFitter.ChooseThreshold(pos, neg).Threshold).Within(1e-5f));
        }
    }

    /// <summary>
    /// The cross-validated accuracy of one layer worked out as FitBestLayer documents it: fold f holds out prompts f, f+k, ...
    /// of each class, the given direction is oriented and a threshold chosen (by <see cref="ConditionFitter.ChooseThreshold"/>,
    /// pinned down on its own in <see cref="ConditionContractTests"/>) on the other folds, and every held-out prompt counts once.
    /// </summary>
    private double CrossValidated(float[] pos, float[] neg, int k)
    {
        var correct = 0;
        for (var f = 0; f < k; f++)
        {
            var fold = f;
            float[] Train(float[] s) => s.Where((_, i) => i % k != fold).ToArray();
            float[] Held(float[] s) => s.Where((_, i) => i % k == fold).ToArray();
            var sign = Train(pos).Average() < Train(neg).Average() ? -1 : 1;
            var t = ConditionFitter.ChooseThreshold(Train(pos).Select(s => sign * s).ToArray(), Train(neg).Select(s => sign * s).ToArray()).Threshold;
            correct += Held(pos).Count(s => sign * s > t) + Held(neg).Count(s => !(sign * s > t));
        }
        return (double)correct / (pos.Length + neg.Length);
    }

    /// <summary>
    /// FitBestLayer picks the layer of the best cross-validated accuracy, the earlier of equals, and reports that accuracy;
    /// k is the requested folds capped at the smaller class (4 negatives here, so 4 folds, not 5).
    /// </summary>
    [TestCase(10, 4, 5, 4, false, TestName = "LayerChoiceFollowsTheCrossValidatedAccuracy(more folds asked than the smaller class has prompts)")]
    [TestCase(8, 8, 3, 4, false, TestName = "LayerChoiceFollowsTheCrossValidatedAccuracy(three folds)")]
    [TestCase(10, 4, 5, 3, true, TestName = "LayerChoiceFollowsTheCrossValidatedAccuracy(layers 1 and 3 tie)")]
    [TestCase(3, 3, 2, 2, true, TestName = "LayerChoiceFollowsTheCrossValidatedAccuracy(layers 1 and 2 tie)")]
    public void LayerChoiceFollowsTheCrossValidatedAccuracy(int girlCount, int boyCount, int folds, int lastLayer, bool layersTie)
    {
        var (girls, boys) = (Girls(girlCount), Boys(boyCount));
        var layers = LayerSet.Range(1, lastLayer);
        var k = Math.Min(folds, boyCount);
        var accuracies = layers.Layers.ToDictionary(l => l, l =>
        {
            var v = _girlBoy.Direction(l).ToArray();
            return CrossValidated(States(girls, l).Select(r => Projection(r, v)).ToArray(), States(boys, l).Select(r => Projection(r, v)).ToArray(), k);
        });
        TestContext.Out.WriteLine(string.Join(", ", accuracies.Select(a => $"layer {a.Key}: {a.Value:F3}")));
        var best = accuracies.First(a => a.Value == accuracies.Values.Max());
        Assert.That(accuracies.Values.Count(v => v == best.Value) > 1, Is.EqualTo(layersTie), "the case no longer is what its name says; pick other prompts");

        var condition = ConditionFitter.FitBestLayer(_model, girls, boys, _girlBoy, layers, "girl", folds: folds, threads: 1);
        Assert.That(condition.Layer, Is.EqualTo(best.Key));
        Assert.That(condition.CrossValidatedAccuracy, Is.EqualTo(best.Value).Within(1e-12));
    }

    [Test]
    public void PromptStateIsTheMeanOfTheTokensAfterBos()
    {
        const int layer = 2;
        var tokens = _model.Tokenize("Lily went to the park with her mom.");
        Assert.That(tokens[0], Is.EqualTo(_model.Handle.BosToken), "the test model adds BOS");
        int[][] prompts = [tokens, tokens[1..], tokens[..1], tokens[1..2]];
        var states = PromptStates.Capture(_model, prompts, LayerSet.Of([layer]), 1, default);
        var embd = _model.EmbeddingSize;
        // Expected: the unsteered rows of each prompt decoded on its own, averaged from the first token that is not BOS
        // (or the one token of a prompt that is only BOS).
        int[] starts = [1, 0, 0, 0];
        for (var p = 0; p < prompts.Length; p++)
        {
            var rows = PlanObserver.LayerRowsAfter(_model, SteeringPlan.None, prompts[p], layer, prompts[p].Length);
            var expected = Enumerable.Range(0, embd).Select(k => Enumerable.Range(starts[p], prompts[p].Length - starts[p]).Average(r => rows[r * embd + k])).ToArray();
            Assert.That(states.Row(layer, p).ToArray(), Is.EqualTo(expected).Within(1e-4f), $"prompt {p}");
        }
    }

    [Test]
    public void FitterRefusesBadArgumentsWithTheirReasons()
    {
        var (girls, boys) = (Girls(2), Boys(2));
        var outside = LayerSet.Of([_model.LayerCount]);
        var partial = _girlBoy.Restrict([1, 2]);
        Assert.Multiple(() =>
        {
            Assert.That(() => ConditionFitter.FitBestLayer(null!, girls, boys, null, LayerSet.Of([1])), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("model"));
            Assert.That(() => ConditionFitter.FitBestLayer(_model, null!, boys, null, LayerSet.Of([1])), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("positivePrompts"));
            Assert.That(() => ConditionFitter.FitBestLayer(_model, girls, null!, null, LayerSet.Of([1])), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("negativePrompts"));
            Assert.That(() => ConditionFitter.FitBestLayer(_model, girls, boys, null, null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("layers"));
            Assert.That(() => ConditionFitter.Fit(_model, girls, [], null, 1),
                Throws.ArgumentException.With.Message.EqualTo("A condition needs labelled prompts of both kinds: where it holds and where it does not."));
            Assert.That(() => ConditionFitter.FitBestLayer(_model, girls, boys, partial, outside),
                Throws.ArgumentException.With.Message.EqualTo($"Layers {_model.LayerCount} are outside the model, which has layers 0-{_model.LayerCount - 1}."));
            Assert.That(() => ConditionFitter.FitBestLayer(_model, girls, boys, partial, LayerSet.Range(1, 3)),
                Throws.ArgumentException.With.Message.EqualTo("The condition vector has no direction for layer(s) 3 (it has 1,2)."));
            Assert.That(() => ConditionFitter.Fit(_model, [girls[0], ""], boys, null, 1), Throws.ArgumentException.With.Message.EqualTo("Positive prompt 1 is empty."));
            Assert.That(() => ConditionFitter.Fit(_model, girls, ["", boys[1]], null, 1), Throws.ArgumentException.With.Message.EqualTo("Negative prompt 0 is empty."));
            Assert.That(() => ConditionFitter.Fit(_model, girls, [boys[0], ""], null, 1), Throws.ArgumentException.With.Message.EqualTo("Negative prompt 1 is empty."));
        });
    }

    private static SteeringCondition Fixed(string name, float threshold) =>
        new(name, SharedModel.RandomVector(1).Restrict([1]), 1, threshold);

    [Test]
    public void DecisionLogsEachOutcomeAndThatNoRuleFired()
    {
        var (always, never) = (Fixed("always", -1e9f), Fixed("never", 1e9f));
        var logger = new RecordingLogger();
        var decisions = ConditionalSteering.Decide(_model, ["Lily went to the park."], [ConditionalRule.IfAll("both", SteeringPlan.None, always, never)], logger, threads: 1);
        Assert.That(decisions.Single().Steered, Is.False);
        var outcomes = logger.Entries.Where(e => e.ContainsKey("Condition")).ToDictionary(e => (string)e["Condition"]!, e => e["Outcome"]);
        Assert.That(outcomes, Is.EqualTo(new Dictionary<string, object?> { ["always"] = "holds", ["never"] = "does not hold" }));
        var unsteered = logger.Entries.Where(e => !e.ContainsKey("Condition")).Single();
        Assert.That(unsteered["PromptIndex"], Is.EqualTo(0));
        Assert.That(unsteered["{OriginalFormat}"], Is.EqualTo("Prompt {PromptIndex}: no rule fired; not steered"));
    }

    [Test]
    public void DecidersRefuseBadArgumentsWithTheirReasons()
    {
        ConditionalRule[] rules = [ConditionalRule.IfAny("r", SteeringPlan.None, Fixed("c", 0))];
        int[][] tokens = [_model.Tokenize("Lily")];
        using var ctx = _model.CreateContext(new ContextOptions { Threads = 1, EnableGraphHooks = true, ContextSize = 64 });
        Assert.Multiple(() =>
        {
            Assert.That(() => ConditionalSteering.Decide(null!, ["Lily"], rules), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("model"));
            Assert.That(() => ConditionalSteering.Decide(_model, (IReadOnlyList<string>)null!, rules), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("prompts"));
            Assert.That(() => ConditionalSteering.Decide(_model, ["Lily", ""], rules),
                Throws.ArgumentException.With.Message.StartsWith("Prompt 1 is empty.").And.Property("ParamName").EqualTo("prompts"));
            Assert.That(() => ConditionalSteering.Decide(null!, tokens, rules), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("model"));
            Assert.That(() => ConditionalSteering.Decide(_model, (IReadOnlyList<int[]>)null!, rules), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("prompts"));
            Assert.That(() => ConditionalSteering.Decide(_model, tokens, null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("rules"));
            Assert.That(() => ConditionalSteering.Decide(_model, tokens, []),
                Throws.ArgumentException.With.Message.StartsWith("No rules to decide with.").And.Property("ParamName").EqualTo("rules"));
            Assert.That(() => ConditionalSteering.Decide(_model, [tokens[0], []], rules), Throws.ArgumentException.With.Message.EqualTo("Prompt 1 has no tokens."));

            Assert.That(() => new ConditionalGenerator(null!, rules), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("context"));
            Assert.That(() => new ConditionalGenerator(ctx, null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("rules"));
            Assert.That(() => new ConditionalGenerator(ctx, []),
                Throws.ArgumentException.With.Message.StartsWith("No rules to decide with.").And.Property("ParamName").EqualTo("rules"));
            Assert.That(() => new ConditionalGenerator(ctx, rules).Generate(null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("requests"));
        });
    }

    private sealed class RecordingLogger : ILogger
    {
        public List<Dictionary<string, object?>> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((state as IReadOnlyList<KeyValuePair<string, object?>> ?? []).ToDictionary(kv => kv.Key, kv => kv.Value));
    }
}
