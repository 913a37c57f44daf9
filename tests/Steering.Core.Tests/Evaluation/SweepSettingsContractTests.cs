using LlamaSteer.Evaluation;
using LlamaSteer.Prompts;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Evaluation;

/// <summary>
/// A sweep's settings checked before any decoding, without a model: every refusal with its message (what eval prints as
/// its one-line error), the bounds that are allowed, and the plan each cell runs.
/// </summary>
[TestFixture]
public class SweepSettingsContractTests
{
    private const int Embd = 3;
    private const int LayerCount = 5;

    private static readonly SteeringVector Mood = new(Embd, new Dictionary<int, float[]> { [1] = [1, 0, 0], [2] = [0, 1, 0] }, "llama",
        new VectorProvenance { Calibration = new Dictionary<int, LayerCalibration> { [1] = new(2f, -1f, 1f), [2] = new(3f, 0f, 1f) } });

    private static SweepSettings Valid() => new()
    {
        Candidates = [new SweepCandidate("mood", Mood)],
        LayerRows = [LayerSet.Of([1, 2])],
        Strengths = [0f, 1f],
        Prompts = ["Once upon a time"],
    };

    private static IEnumerable<TestCaseData> BadSettings()
    {
        TestCaseData Case(SweepSettings s, string message, string name) => new TestCaseData(s, message).SetName($"{{m}}({name})");
        yield return Case(Valid() with { Candidates = [] }, "No vector, steering token or instruction to evaluate.", "nothing to evaluate");
        yield return Case(Valid() with { LayerRows = [] }, "No layers to sweep.", "no layers");
        yield return Case(Valid() with { Prefixes = [new SweepPrefix("token", [])] }, "The prompt setting 'token' has no piece.", "empty prefix");
        yield return Case(Valid() with { Prefixes = [new SweepPrefix("a", [new TextPiece("x")]), new SweepPrefix("a", [new TextPiece("y")])] },
            "Two prompt settings have the same name.", "prefix names repeat");
        yield return Case(Valid() with { Strengths = [] }, "No strengths to sweep.", "no strengths");
        yield return Case(Valid() with { Prompts = [] }, "The prompt set is empty.", "no prompts");
        yield return Case(Valid() with { Prompts = ["fine", "  "] }, "A prompt is empty.", "one blank prompt");
        yield return Case(Valid() with { Strengths = [1f, float.NaN] }, "The strength NaN is not a finite number.", "NaN strength");
        yield return Case(Valid() with { Candidates = [new SweepCandidate("mood", Mood), new SweepCandidate("mood", Mood)] },
            "Two vectors have the same name.", "vector names repeat");
        yield return Case(Valid() with { MaxTokens = 0 }, "max-tokens must be at least 1.", "no tokens");
        yield return Case(Valid() with { Samples = 0 }, "samples must be at least 1.", "no samples");
        yield return Case(Valid() with { MaxPerplexityRatio = 0.99 }, "The perplexity-ratio bound must be a finite number >= 1 (got 0.99).", "bound below 1");
        yield return Case(Valid() with { LayerRows = [LayerSet.Of([4, 5])] }, "Layers 4-5 are outside the model, which has layers 0-4.", "layers outside the model");
    }

    [TestCaseSource(nameof(BadSettings))]
    public void BadSettingsAreRefusedWithTheReason(SweepSettings settings, string message) =>
        Assert.That(() => settings.Validate(Embd, LayerCount), Throws.ArgumentException.With.Message.EqualTo(message));

    [Test]
    public void TheBoundsThemselvesAreAllowed()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => Valid().Validate(Embd, LayerCount), Throws.Nothing);
            Assert.That(() => (Valid() with { MaxPerplexityRatio = 1, MaxTokens = 1, Samples = 1 }).Validate(Embd, LayerCount), Throws.Nothing);
            Assert.That(() => (Valid() with { Candidates = [], LayerRows = [], Prefixes = [new SweepPrefix("instruction", [new TextPiece("Be happy.")])] })
                .Validate(Embd, LayerCount), Throws.Nothing, "prompt-side settings need no layers");
            Assert.That(() => (Valid() with { MaxPerplexityRatio = double.PositiveInfinity }).Validate(Embd, LayerCount),
                Throws.ArgumentException.With.Message.StartsWith("The perplexity-ratio bound must be a finite number >= 1"));
        });
    }

    [Test]
    public void BadSamplingIsRefusedBeforeTheSweep() =>
        Assert.That(() => (Valid() with { Sampling = new SamplingOptions { Temperature = -1 } }).Validate(Embd, LayerCount),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Temperature must be a finite number >= 0"));

    [Test]
    public void ACellsPlanAddsTheVectorOrScalesTheAdjustToTargetTerms()
    {
        var contextual = new FixedStrength();
        var plain = SweepSettings.Plan(new SweepCandidate("mood", Mood, contextual), LayerSet.Of([2]), 1.5f);
        var adjust = SweepSettings.Plan(new SweepCandidate("mood", Mood) { AdjustToTarget = true }, LayerSet.Of([1, 2]), 0.5f);

        Assert.Multiple(() =>
        {
            Assert.That(plain.Terms.Select(t => (t.Name, t.Strength, t.Operator, t.Layers!.ToString(), t.Contextual)),
                Is.EqualTo(new[] { ("mood", 1.5f, SteeringOperator.Add, "2", (IContextualStrength?)contextual) }));
            Assert.That(adjust.Terms.Select(t => (t.Name, t.Strength, t.Operator)),
                Is.EqualTo(new[] { ("mood@1", 1f, SteeringOperator.Clamp), ("mood@2", 1.5f, SteeringOperator.Clamp) }), "the positive means 2 and 3, times 0.5");
        });
    }

    private sealed class FixedStrength : IContextualStrength
    {
        public bool HasLayer(int layer) => true;

        public float Coefficient(int layer, ReadOnlySpan<float> hidden) => 1f;
    }
}
