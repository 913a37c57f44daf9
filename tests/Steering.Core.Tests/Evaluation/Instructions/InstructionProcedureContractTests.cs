using LlamaSteer.Evaluation.Instructions;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Evaluation.Instructions;

/// <summary>
/// The instruction procedure's contract without running the whole search: the settings it refuses (each with the line
/// eval prints, before any decoding), the candidate layers at the edges, the plan of one setting, and which validation
/// setting composition adds each vector at, from validation results written here by hand. Uses the shared model.
/// </summary>
[TestFixture]
public class InstructionProcedureContractTests
{
    private LlamaModel _model = null!;
    private InstructionSet _set = null!;
    private SteeringVector _vector = null!;
    private string _dir = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _model = SharedModel.Model;
        _vector = SharedModel.Vector("tinystories-happy-sad");
        _dir = TestPaths.NewTempDirectory();
        var path = Path.Combine(_dir, "small.json");
        File.WriteAllText(path, """
            {"prompts": ["Once upon a time,", "One day,", "The sun was up.", "Tom had a ball.", "Mia saw a bird."],
             "split": {"train": 2, "validation": 1},
             "instructions": [
               {"name": "short", "instruction": "Write few words.", "checks": ["max-words:3"]},
               {"name": "long", "instruction": "Write many words.", "checks": ["min-words:2"]},
               {"name": "dog", "instruction": "Mention a dog.", "checks": ["any-of:dog"]}]}
            """);
        _set = InstructionSet.Load(path);
    }

    [OneTimeTearDown]
    public void RemoveDir() => Directory.Delete(_dir, true);

    private static ComplianceSettings Compliance(int maxTokens = 3, int samples = 1, string neutral = "The dog ran to the park. It was a sunny day.") =>
        new() { MaxTokens = maxTokens, Samples = samples, NeutralText = neutral, Sampling = new SamplingOptions { Temperature = 0.8f }, Threads = 1 };

    /// <summary>Collects progress lines as they are reported (Progress&lt;T&gt; would post them later).</summary>
    private sealed class Lines : List<string>, IProgress<string>
    {
        public void Report(string value) => Add(value);
    }

    private string SearchRefusal(InstructionSearchSettings search, ComplianceSettings? compliance = null)
    {
        var progress = new Lines();
        var message = Assert.Catch<ArgumentException>(() => InstructionSearch.Run(_model, _set, search, compliance ?? Compliance(), progress))!.Message;
        Assert.That(progress, Is.Empty, $"refused after work had started: {message}");
        return message;
    }

    [Test]
    public void SearchSettingsThatCannotRunAreRefusedBeforeDecoding()
    {
        var layers = LayerSet.Of([3]);
        Assert.Multiple(() =>
        {
            Assert.That(SearchRefusal(new() { Layers = layers }, Compliance(maxTokens: 0)), Is.EqualTo("max-tokens must be at least 1."));
            Assert.That(SearchRefusal(new() { Layers = layers }, Compliance(samples: 0)), Is.EqualTo("samples must be at least 1."));
            Assert.That(SearchRefusal(new() { Layers = layers }, Compliance(neutral: "  ")), Is.EqualTo("The neutral text is empty."));
            Assert.That(SearchRefusal(new() { Layers = layers }, Compliance() with { Sampling = new SamplingOptions { Temperature = -1f } }), Does.StartWith("Temperature must be a finite number >= 0"));
            Assert.That(SearchRefusal(new() { Layers = LayerSet.Of([0, 3]) }), Is.EqualTo("Layer 0 cannot be a candidate: a control vector starts at layer 1."));
            Assert.That(SearchRefusal(new() { Layers = LayerSet.Of([3, _model.LayerCount]) }),
                Is.EqualTo($"Layers 3,{_model.LayerCount} are outside the model, which has layers 0-{_model.LayerCount - 1}."));
            Assert.That(SearchRefusal(new() { Layers = layers, AdjustToTarget = false }), Is.EqualTo("Nothing to sweep: give fixed strengths or keep adjust-to-target."));
            Assert.That(SearchRefusal(new() { Layers = layers, Strengths = [1f, 0f] }), Is.EqualTo("Fixed strengths must be finite and non-zero."));
            Assert.That(SearchRefusal(new() { Layers = layers, Strengths = [float.NaN] }), Is.EqualTo("Fixed strengths must be finite and non-zero."));
            Assert.That(SearchRefusal(new() { Layers = layers, Strengths = [float.PositiveInfinity] }), Is.EqualTo("Fixed strengths must be finite and non-zero."));
            Assert.That(SearchRefusal(new() { Layers = layers, MaxPerplexityRatio = 0.99 }), Is.EqualTo("The perplexity-ratio bound must be a finite number >= 1 (got 0.99)."));
            Assert.That(SearchRefusal(new() { Layers = layers, MaxPerplexityRatio = double.PositiveInfinity }), Does.StartWith("The perplexity-ratio bound must be a finite number >= 1 (got "));
        });
    }

    [Test]
    public void TheBoundsOfTheRefusalsAreAcceptedAndTheReportSaysWhatRan()
    {
        // Samples 1, one token, a bound of exactly 1, one layer, one fixed strength and no adjust-to-target: it runs.
        var progress = new Lines();
        var reports = InstructionSearch.Run(_model, _set, new() { Layers = LayerSet.Of([1]), AdjustToTarget = false, Strengths = [-0.5f, 0.5f], MaxPerplexityRatio = 1 },
            Compliance(maxTokens: 1, samples: 1), progress);
        Assert.That(reports.Select(r => r.Instruction.Name), Is.EqualTo(new[] { "short", "long", "dog" }));
        Assert.That(progress, Is.EqualTo(new[]
        {
            "instruction vector 'short': 2 train prompts, layers 1",
            "instruction vector 'long': 2 train prompts, layers 1",
            "instruction vector 'dog': 2 train prompts, layers 1",
            "validation: 7 conditions x 1 prompts x 1 samples",
            $"held-out test: {1 + 3 + 2 * reports.Count(r => r.Chosen is not null)} conditions x 2 prompts x 1 samples",
        }));
        foreach (var r in reports)
        {
            var name = r.Instruction.Name;
            Assert.Multiple(() =>
            {
                Assert.That(r.Validation.Select(v => (v.Layer, v.Operator)), Is.EqualTo(new[] { (1, "add -0.5"), (1, "add 0.5") }), name);
                Assert.That(r.Chosen, Is.EqualTo(InstructionSearch.Best(r.Validation, 1)), name);
                Assert.That(r.Steered is null, Is.EqualTo(r.Chosen is null), name);
                Assert.That((r.ValidationBaseline.Name, r.Without.Name, r.InPrompt.Name), Is.EqualTo(("validation, unsteered", "test, unsteered", $"{name}: in prompt")));
                // The shared unsteered runs, reduced to this instruction's own rate.
                Assert.That(r.Without.InstructionPassRates, Is.EqualTo(new Dictionary<string, double> { [name] = r.Without.PassRate }), name);
                Assert.That(r.ValidationBaseline.InstructionPassRates, Is.EqualTo(new Dictionary<string, double> { [name] = r.ValidationBaseline.PassRate }), name);
                Assert.That(r.Without.PassRate, Is.EqualTo(r.Without.Generations.Count(r.Instruction.IsFollowedBy) / 2.0), name);
                Assert.That(r.Vector.Layers, Is.EqualTo(new[] { 1 }));
                Assert.That(r.Vector.Provenance.Options, Is.EqualTo("instruction vector, positions=last, layers=1"));
                Assert.That(r.Vector.Provenance.DatasetName, Is.Not.Empty);
                Assert.That(r.Vector.Provenance.CreatedUtc, Does.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$"), "ISO 8601 round-trip, UTC");
                Assert.That(DateTime.Parse(r.Vector.Provenance.CreatedUtc!, null, System.Globalization.DateTimeStyles.RoundtripKind), Is.EqualTo(DateTime.UtcNow).Within(TimeSpan.FromMinutes(10)));
            });
        }
    }

    [Test]
    public void TheBestSettingHasTheBestRateUnderTheBoundThenTheLowerCostThenTheEarlierLayer()
    {
        InstructionSetting S(int layer, double rate, double ratio, bool adjust = false) => new(layer, adjust, 1, rate, ratio, null);
        Assert.Multiple(() =>
        {
            Assert.That(InstructionSearch.Best([S(1, 0.9, 1.6), S(2, 0.5, 1.4), S(3, 0.7, 1.5)], 1.5), Is.EqualTo(S(3, 0.7, 1.5)), "the bound is inclusive");
            Assert.That(InstructionSearch.Best([S(4, 0.7, 1.3), S(3, 0.7, 1.2), S(2, 0.7, 1.4)], 1.5), Is.EqualTo(S(3, 0.7, 1.2)), "equal rates: the lower cost");
            Assert.That(InstructionSearch.Best([S(4, 0.7, 1.2), S(2, 0.7, 1.2), S(3, 0.7, 1.2)], 1.5), Is.EqualTo(S(2, 0.7, 1.2)), "equal rates and costs: the earlier layer");
            Assert.That(InstructionSearch.Best([S(2, 0.7, 1.2, adjust: true), S(2, 0.7, 1.2)], 1.5), Is.EqualTo(S(2, 0.7, 1.2, adjust: true)), "then the order given");
            Assert.That(InstructionSearch.Best([S(1, 0.9, 1.6)], 1.5), Is.Null, "none under the bound");
            Assert.That(InstructionSearch.Best([], 1.5), Is.Null);
        });
    }

    [TestCase(0)]
    [TestCase(1)]
    public void AModelWithoutALayerAfterTheFirstHasNoCandidates(int layerCount) =>
        Assert.That(() => InstructionSearch.CandidateLayers(layerCount),
            Throws.ArgumentException.With.Message.EqualTo($"A model with {layerCount} layers has no candidate layer from n/5 to n-1."));

    [TestCase(2, new[] { 1 })]
    [TestCase(9, new[] { 1, 2, 3, 4, 5, 6, 7, 8 })]
    [TestCase(10, new[] { 2, 3, 4, 5, 6, 7, 8, 9 })]
    [TestCase(11, new[] { 2, 4, 6, 8, 10 })]
    public void CandidateLayersAtTheEdgesOfTheirStep(int layerCount, int[] expected) =>
        Assert.That(InstructionSearch.CandidateLayers(layerCount).Layers, Is.EqualTo(expected));

    [Test]
    public void ASettingsPlanSteersOnlyItsLayerWithItsOperator()
    {
        var fixedPlan = InstructionSearch.Plan(_vector, "mood", new InstructionSetting(2, false, -1.5f, 0, 0, null));
        var term = fixedPlan.Terms.Single();
        Assert.Multiple(() =>
        {
            Assert.That((term.Strength, term.Operator, term.Name), Is.EqualTo((-1.5f, SteeringOperator.Add, "mood")));
            Assert.That(term.Layers!.Layers, Is.EqualTo(new[] { 2 }));
            Assert.That(new InstructionSetting(2, false, -1.5f, 0, 0, null).Operator, Is.EqualTo("add -1.5"));
            Assert.That(new InstructionSetting(2, false, 0.12345f, 0, 0, null).Operator, Is.EqualTo("add 0.123"), "three decimals at most");
        });
        var adjust = InstructionSearch.Plan(_vector, "mood", new InstructionSetting(3, true, 1, 0, 0, null));
        var expected = new SteeringPlan(SteeringTerms.AdjustToTarget(_vector, LayerSet.Of([3]), name: "mood"));
        Assert.That(adjust.Terms.Select(t => (t.Name, t.Strength, t.Operator, t.Layers!.ToString())),
            Is.EqualTo(expected.Terms.Select(t => (t.Name, t.Strength, t.Operator, t.Layers!.ToString()))));
        Assert.That(new InstructionSetting(3, true, 1, 0, 0, null).Operator, Is.EqualTo("adjust-to-target"));
    }

    private static ComplianceResult Nothing(string name) => new(name, 0, new Dictionary<string, double>(), 1, null, []);

    private InstructionReport Report(string name, params InstructionSetting[] validation) =>
        new(_set[name], _vector, Nothing("validation"), validation, null, Nothing("without"), null, Nothing("in prompt"), null);

    [Test]
    public void CompositionAddsEachVectorAtItsBestFixedSettingUnderTheBound()
    {
        var reports = new[]
        {
            // The best pass rate is adjust-to-target (never used for composition) or over the bound; of the two
            // left at 0.6 the cheaper one wins.
            Report("short",
                new InstructionSetting(2, true, 1, 1.0, 1.0, null),
                new InstructionSetting(3, false, 0.5f, 0.9, 2.0, null),
                new InstructionSetting(4, false, 0.25f, 0.6, 1.2, null),
                new InstructionSetting(1, false, 0.75f, 0.6, 1.1, null),
                new InstructionSetting(2, false, 1.5f, 0.2, 1.0, null)),
            // Equal rate and cost: the earlier layer; a setting exactly at the bound is eligible.
            Report("long",
                new InstructionSetting(4, false, 1f, 0.5, 1.25, null),
                new InstructionSetting(2, false, 2f, 0.5, 1.25, null),
                new InstructionSetting(3, false, 3f, 0.7, 1.5, null),
                new InstructionSetting(1, false, 4f, 0.9, 1.5000001, null)),
        };
        var search = new InstructionSearchSettings { MaxPerplexityRatio = 1.5 };
        var report = InstructionComposition.Run(_model, _set, reports, ["short", "long"], search, Compliance(maxTokens: 2));
        Assert.Multiple(() =>
        {
            Assert.That(report.Instructions, Is.EqualTo(new[] { "short", "long" }));
            Assert.That(report.Parts.Select(p => (p.Name, p.Weight, p.Layers!.ToString())), Is.EqualTo(new[] { ("short", 0.75f, "1"), ("long", 3f, "3") }));
            Assert.That(report.Parts.Select(p => p.Vector), Has.All.SameAs(_vector));
            Assert.That(report.Conditions.Select(c => c.Name), Is.EqualTo(new[]
            {
                "unsteered", "short alone (add 0.75 @1)", "long alone (add 3 @3)", "all together", "all together, orthogonalised", "all written in the prompt",
            }));
            Assert.That(report.Conditions.Select(c => c.Generations.Count), Has.All.EqualTo(_set.Test.Count), "one sample of each held-out prompt");
            Assert.That(report.Cosines, Is.Empty, "no layer is shared");
        });
        foreach (var c in report.Conditions)
        {
            var both = c.Generations.Count(g => _set["short"].IsFollowedBy(g) && _set["long"].IsFollowedBy(g)) / (double)c.Generations.Count;
            Assert.That(c.PassRate, Is.EqualTo(both), c.Name);
            Assert.That(c.InstructionPassRates["short"], Is.EqualTo(c.Generations.Count(_set["short"].IsFollowedBy) / (double)c.Generations.Count), c.Name);
        }
    }

    [Test]
    public void VectorsSharingALayerReportTheirCosineThere()
    {
        var other = SharedModel.Vector("tinystories-girl-boy");
        var reports = new[]
        {
            Report("short", new InstructionSetting(2, false, 1f, 0.5, 1.0, null)),
            Report("dog", new InstructionSetting(2, false, 1f, 0.5, 1.0, null)) with { Vector = other },
        };
        var report = InstructionComposition.Run(_model, _set, reports, ["short", "dog"], new InstructionSearchSettings(), Compliance(maxTokens: 1));
        var expected = LlamaSteer.Steering.Composition.Cosine(_vector.Direction(2), other.Direction(2));
        Assert.That(report.Cosines, Is.EqualTo(new[] { ("short", "dog", 2, expected) }));
        Assert.That(Math.Abs(expected), Is.GreaterThan(1e-3), "the vectors are not orthogonal, so the cosine says something");
    }

    [Test]
    public void CompositionRefusesWhatItCannotCompose()
    {
        var fine = Report("short", new InstructionSetting(2, false, 1f, 0.5, 1.0, null));
        var onlyAdjust = Report("long", new InstructionSetting(2, true, 1f, 0.9, 1.0, null), new InstructionSetting(3, false, 1f, 0.9, 1.6, null));
        var search = new InstructionSearchSettings();
        string Refusal(IReadOnlyList<InstructionReport> reports, params string[] names) =>
            Assert.Throws<ArgumentException>(() => InstructionComposition.Run(_model, _set, reports, names, search, Compliance()))!.Message;
        Assert.Multiple(() =>
        {
            Assert.That(Refusal([fine], "short"), Is.EqualTo("--compose-instructions needs two or more different instructions of the set."));
            Assert.That(Refusal([fine], "short", "short"), Is.EqualTo("--compose-instructions needs two or more different instructions of the set."));
            Assert.That(Refusal([fine], "short", "nope"), Is.EqualTo("The instruction set small has no instruction 'nope'; it has short, long, dog."));
            Assert.That(Refusal([fine, onlyAdjust], "short", "long"),
                Is.EqualTo("Composition adds each vector at its best fixed strength, but 'long' has no fixed-strength setting under the fluency bound: give --strengths."));
        });
    }
}
