using LlamaSteer.Evaluation;
using LlamaSteer.Evaluation.Checkers;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Evaluation;

/// <summary>
/// The recommendation on hand-made cells, whose answer is plain to see: what counts as the effect under each measure, ties,
/// the bound, and the text that explains the choice or its absence. Pure; no model.
/// </summary>
[TestFixture]
public class RecommenderTests
{
    private static readonly SteeringVector Vector = new(4, new Dictionary<int, float[]> { [1] = [1, 0, 0, 0] });

    private static SweepSettings Settings(ProbeTokens? probe = null, string[]? keywords = null, ITextCheck[]? checks = null) => new()
    {
        Candidates = [new SweepCandidate("v.gguf", Vector)],
        LayerRows = [LayerSet.Of([1])],
        Strengths = [1],
        Prompts = ["p"],
        Probe = probe,
        Keywords = keywords ?? [],
        Checks = checks ?? [],
    };

    private static SweepMetrics M(double? shift = null, double ratio = 1, double? rate = null, Dictionary<string, double>? checks = null, double? neutral = 10) =>
        new(shift, shift, rate, null, neutral, ratio, null, checks ?? new Dictionary<string, double>(), []);

    [Test]
    public void TheMeasureIsTheProbeElseTheKeywordsElseTheChecks()
    {
        var probe = new ProbeTokens("happy", "sad", 1, 2);
        Assert.That(SweepRecommender.Measure(Settings(probe, ["glad"], [new LowercaseCheck()])), Is.EqualTo(EffectMeasure.ProbeShift));
        Assert.That(SweepRecommender.Measure(Settings(null, ["glad"], [new LowercaseCheck()])), Is.EqualTo(EffectMeasure.ConceptRate));
        Assert.That(SweepRecommender.Measure(Settings(null, null, [new LowercaseCheck()])), Is.EqualTo(EffectMeasure.CheckPassRate));
        Assert.That(SweepRecommender.Measure(Settings()), Is.EqualTo(EffectMeasure.None));
    }

    [Test]
    public void TheEffectIsTheChangeFromTheUnsteeredModel()
    {
        var baseline = M(0, rate: 0.25, checks: new() { ["a"] = 0.5, ["b"] = 1 });
        var cell = M(1.5, rate: 0.75, checks: new() { ["a"] = 1, ["b"] = 0.5 });
        Assert.That(SweepRecommender.Effect(cell, baseline, EffectMeasure.ProbeShift), Is.EqualTo(1.5));
        Assert.That(SweepRecommender.Effect(cell, baseline, EffectMeasure.ConceptRate), Is.EqualTo(0.5));
        Assert.That(SweepRecommender.Effect(cell, baseline, EffectMeasure.CheckPassRate), Is.EqualTo(0.0), "(+0.5 - 0.5) / 2");
        Assert.That(SweepRecommender.Effect(M(1, checks: new() { ["a"] = 1 }), M(0, checks: new() { ["a"] = 0.25 }), EffectMeasure.CheckPassRate), Is.EqualTo(0.75));
        Assert.That(SweepRecommender.Effect(M(1), baseline, EffectMeasure.CheckPassRate), Is.Null, "no checks");
        Assert.That(SweepRecommender.Effect(cell, baseline, EffectMeasure.None), Is.Null);
    }

    [Test]
    public void KeywordRatesRecommendTheLargestRiseUnderTheBound()
    {
        var settings = Settings(null, ["glad"]);
        var baseline = M(rate: 0.2);
        SweepCell[] cells = [new("v.gguf", "1", 1, M(rate: 0.6, ratio: 1.2)), new("v.gguf", "1", 2, M(rate: 0.9, ratio: 1.6)), new("v.gguf", "1-3", 1, M(rate: 0.5, ratio: 1.0))];
        var (best, text) = SweepRecommender.Recommend(baseline, cells, settings, EffectMeasure.ConceptRate);
        Assert.That((best!.Layers, best.Strength, best.Effect, best.PerplexityRatio), Is.EqualTo(("1", 1f, 0.6 - 0.2, 1.2)));
        Assert.That(text, Is.EqualTo("recommended: v.gguf on layer 1 at strength 1: keyword rate change +0.40, neutral-text perplexity ratio 1.20 <= 1.5 (the largest effect whose fluency cost stays under the bound)."));
    }

    [Test]
    public void TiesGoToTheLowerCostThenTheSmallerStrength()
    {
        var probe = new ProbeTokens("happy", "sad", 1, 2);
        var settings = Settings(probe);
        SweepCell[] cells =
        [
            new("v.gguf", "2", 2, M(1, ratio: 1.3)),
            new("v.gguf", "2", -1.5f, M(1, ratio: 1.1)),
            new("v.gguf", "3", 1, M(1, ratio: 1.1)),
            new("v.gguf", "1,3", 0.5f, M(1, ratio: 1.2)),
        ];
        var (best, text) = SweepRecommender.Recommend(M(0), cells, settings, EffectMeasure.ProbeShift);
        Assert.That((best!.Layers, best.Strength), Is.EqualTo(("3", 1f)));
        Assert.That(text, Does.StartWith("recommended: v.gguf on layer 3 at strength 1: probe log-odds shift +1.00 towards \"happy\", neutral-text perplexity ratio 1.10 <= 1.5"));
        var (several, severalText) = SweepRecommender.Recommend(M(0), [cells[3]], settings, EffectMeasure.ProbeShift);
        Assert.That(several!.Layers, Is.EqualTo("1,3"));
        Assert.That(severalText, Does.Contain("on layers 1,3 at strength 0.5"));
    }

    [Test]
    public void AtTheBoundACellStillQualifiesAndNoEffectDoesNot()
    {
        var settings = Settings(new ProbeTokens("happy", "sad", 1, 2)) with { MaxPerplexityRatio = 1.25 };
        var (atBound, _) = SweepRecommender.Recommend(M(0), [new("v.gguf", "1", 1, M(0.5, ratio: 1.25))], settings, EffectMeasure.ProbeShift);
        Assert.That(atBound, Is.Not.Null);
        var (none, why) = SweepRecommender.Recommend(M(0), [new("v.gguf", "1", 1, M(0, ratio: 1)), new("v.gguf", "1", 2, M(-1, ratio: 1))], settings, EffectMeasure.ProbeShift);
        Assert.That(none, Is.Null);
        Assert.That(why, Is.EqualTo("no recommendation: no setting raises the probe log-odds shift above zero while keeping the neutral-text perplexity ratio <= 1.25 (2 of 2 steered settings stay under the bound)."));
        // Strength 0 is the unsteered model, never a recommendation; unmeasured effects are skipped.
        var (zero, _) = SweepRecommender.Recommend(M(0), [new("v.gguf", "1", 0, M(1, ratio: 1)), new("v.gguf", "1", 1, M(null, ratio: 1))], settings, EffectMeasure.ProbeShift);
        Assert.That(zero, Is.Null);
    }

    [Test]
    public void MeasuresAreNamedInTheReport()
    {
        Assert.That(Enum.GetValues<EffectMeasure>().Select(SweepRecommender.Describe),
            Is.EqualTo(new[] { "none", "probe log-odds shift", "keyword rate change", "mean check pass-rate change" }));
    }

    [Test]
    public void TheBoundIsPrintedAsGivenToThreeDecimalsAndCellsAtItCountAsWithin()
    {
        var settings = Settings(new ProbeTokens("happy", "sad", 1, 2)) with { MaxPerplexityRatio = 1.23456 };
        var (_, text) = SweepRecommender.Recommend(M(0), [new("v.gguf", "1", 1, M(1, ratio: 1.1))], settings, EffectMeasure.ProbeShift);
        Assert.That(text, Does.Contain("perplexity ratio 1.10 <= 1.235 ("));
        var (none, why) = SweepRecommender.Recommend(M(0), [new("v.gguf", "1", 1, M(-1, ratio: 1.23456)), new("v.gguf", "1", 2, M(2, ratio: 2))], settings, EffectMeasure.ProbeShift);
        Assert.That(none, Is.Null);
        Assert.That(why, Does.EndWith("<= 1.235 (1 of 2 steered settings stay under the bound)."));
    }

    [Test]
    public void WithoutAMeasureOrANeutralTextThereIsNoRecommendation()
    {
        SweepCell[] cells = [new("v.gguf", "1", 1, M(1))];
        Assert.That(SweepRecommender.Recommend(M(0), cells, Settings(), EffectMeasure.None),
            Is.EqualTo(((SweepRecommendation?)null, "no recommendation: nothing measures the concept (give a probe, --keywords or --check).")));
        Assert.That(SweepRecommender.Recommend(M(0, neutral: null), cells, Settings(), EffectMeasure.ProbeShift),
            Is.EqualTo(((SweepRecommendation?)null, "no recommendation: without a neutral text the fluency cost cannot be bounded.")));
    }

    [Test]
    public void PromptSettingsAreDescribedAsInFrontOfThePrompt()
    {
        var (best, text) = SweepRecommender.Recommend(M(rate: 0), [new("instruction", "prompt", 1, M(rate: 0.5))], Settings(null, ["glad"]), EffectMeasure.ConceptRate);
        Assert.That(best!.Candidate, Is.EqualTo("instruction"));
        Assert.That(text, Does.StartWith("recommended: instruction in front of the prompt: keyword rate change +0.50,"));
    }

    [TestCase("He smiled and laughed.", "smile", 1)]
    [TestCase("SMILES everywhere, smile!", "smile", 2)]
    [TestCase("She was unhappy.", "happy", 0)]
    [TestCase("happy_go", "happy", 1)]
    [TestCase("x_happy", "happy", 0)]
    [TestCase("3happy", "happy", 0)]
    [TestCase("We ate ice cream, then Ice  cream.", "ice cream", 1)]
    public void KeywordsCountWhereAWordStarts(string text, string word, int count)
    {
        Assert.That(Keywords.Count(text, word), Is.EqualTo(count));
        Assert.That(new Keywords([word]).AnyIn(text), Is.EqualTo(count > 0));
    }

    [Test]
    public void SeveralKeywordsAreSummed()
    {
        var k = new Keywords([" glad ", "smile"]);
        Assert.That(k.Words, Is.EqualTo(new[] { "glad", "smile" }));
        Assert.That(k.Count("Glad to smile, so glad."), Is.EqualTo(3));
        Assert.That(k.AnyIn("nothing here"), Is.False);
        Assert.That(k.AnyIn("only glad"), Is.True, "one of the keywords is enough");
        Assert.Throws<ArgumentNullException>(() => new Keywords(null!));
        Assert.That(Assert.Throws<ArgumentException>(() => new Keywords(["ok", " "]))!.Message, Is.EqualTo("A keyword is empty."));
    }
}
