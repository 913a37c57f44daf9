using LlamaSteer.Datasets;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Datasets;

/// <summary>The shipped datasets on stories260K: they tokenize, and the two it is known to represent steer it.</summary>
[TestFixture]
public class TinyStoriesDatasetTests
{
    private LlamaModel _model = null!;

    [OneTimeSetUp] public void Load() => _model = SharedModel.Model;

    [TestCaseSource(typeof(ShippedDatasetTests), nameof(ShippedDatasetTests.TinyStoriesFiles))]
    public void TokenizesOnStories260K(string relative)
    {
        var ds = ShippedDatasetTests.Load(relative);
        var t = DatasetTokenizer.Tokenize(_model, ds);
        Assert.That(t.Positives, Has.Count.EqualTo(ds.Pairs.Count));
        Assert.That(t.Negatives, Has.Count.EqualTo(ds.Pairs.Count));
        // Plain TinyStories text: it comes back from the tokens unchanged (the tokenizer adds the leading space).
        for (var i = 0; i < ds.Pairs.Count; i++)
        {
            var pair = ds.Pairs[i];
            Assert.That(_model.Detokenize(t.Positives[i].Tokens).TrimStart(), Is.EqualTo(pair.Prompt + pair.Positive), $"line {pair.LineNumber}");
            Assert.That(_model.Detokenize(t.Negatives[i].Tokens).TrimStart(), Is.EqualTo(pair.Prompt + pair.Negative), $"line {pair.LineNumber}");
        }
        Assert.That(ds.Pairs.SelectMany(p => p.Prompt + p.Positive + p.Negative), Has.All.InRange(' ', '~'), "ASCII text only");
    }

    [TestCaseSource(typeof(ShippedDatasetTests), nameof(ShippedDatasetTests.JsonlFiles))]
    public void TokenizesAsAChatWithABuiltInTemplate(string relative)
    {
        // stories260K cannot answer a chat, but its tokenizer checks that every pair stays apart and fits.
        var t = DatasetTokenizer.Tokenize(_model, ShippedDatasetTests.Load(relative), new DatasetTokenizerOptions { Chat = true, ChatTemplate = "chatml" });
        Assert.That(t.Positives, Is.Not.Empty);
    }

    [Test]
    public void ProbeWordsStartWithDifferentTokens()
    {
        foreach (var (name, probe) in ProbeSet.LoadShipped())
            Assert.That(ProbeMeasurement.FirstToken(_model, probe.Positive), Is.Not.EqualTo(ProbeMeasurement.FirstToken(_model, probe.Negative)), name);
    }

    /// <summary>
    /// The mean difference of last-token activations on layers 1-4, added to the residual stream, moves the
    /// held-out probe towards the positive word: log p(positive) - log p(negative) is higher at +1 than at -1.
    /// </summary>
    [TestCase("tinystories-girl-boy")]
    [TestCase("tinystories-happy-sad")]
    public void SteeringTowardsThePositiveRaisesTheProbe(string name)
    {
        var probe = ProbeSet.LoadShipped()[name];
        var directions = ProbeMeasurement.Extract(_model, ShippedDatasetTests.Load(name + ".jsonl"), LayerSet.Range(1, 4));
        var towardsNegative = ProbeMeasurement.MeanLogProbDifference(_model, directions, -1, probe);
        var towardsPositive = ProbeMeasurement.MeanLogProbDifference(_model, directions, +1, probe);
        Assert.That(towardsPositive, Is.GreaterThan(towardsNegative), $"{name}: {towardsNegative:F2} at -1, {towardsPositive:F2} at +1");
    }
}
