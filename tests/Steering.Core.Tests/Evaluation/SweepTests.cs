using LlamaSteer.Evaluation;
using LlamaSteer.Evaluation.Checkers;
using LlamaSteer.Generation;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Evaluation;

/// <summary>A small layer x strength sweep on stories260K: each cell matches the single-run measurement of the same setting.</summary>
[TestFixture]
public class SweepTests
{
    private static readonly float[] Strengths = [-1f, 0f, 1f];
    private LlamaModel _model = null!;
    private SteeringVector _mood = null!;
    private ProbeTokens _probe = null!;
    private SweepSettings _settings = null!;
    private SweepReport _report = null!;

    [OneTimeSetUp]
    public void Run()
    {
        _model = SharedModel.Model;
        _mood = SharedModel.Vector("tinystories-happy-sad");
        var p = TrainedVectors.Probes["tinystories-happy-sad"];
        _probe = ProbeTokens.Resolve(_model, p.Positive, p.Negative);
        _settings = new SweepSettings
        {
            Candidates = [new SweepCandidate("mood", _mood)],
            LayerRows = [LayerSet.Of([2]), LayerSet.Of([3]), TrainedVectors.Layers],
            Strengths = Strengths,
            Prompts = p.Prompts.Take(3).ToArray(),
            Probe = _probe,
            Keywords = ["happy", "smile", "glad"],
            Checks = [new LowercaseCheck(), new WordCountCheck(null, 8)],
            NeutralText = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "neutral", "tinystories-neutral.txt")),
            MaxTokens = 10,
            Samples = 2,
            Seed = 11,
            Threads = 1,
        };
        _report = SteeringSweep.Run(_model, _settings);
    }


    [Test]
    public void EveryCellIsThere()
    {
        Assert.That(_report.Cells, Has.Count.EqualTo(3 * Strengths.Length));
        Assert.That(_report.Cells.Select(c => (c.Layers, c.Strength)), Is.EquivalentTo(
            from l in new[] { "2", "3", "1-4" } from s in Strengths select (l, s)));
        foreach (var c in _report.Cells)
            Assert.That(c.Metrics.Generations, Has.Count.EqualTo(3 * 2), $"{c.Layers} @ {c.Strength}");
    }

    [Test]
    public void ACellsConceptEffectEqualsConceptEffectOnTheSameSettings()
    {
        foreach (var row in _settings.LayerRows)
        {
            var single = ConceptEffect.Sweep(_model, _mood, row, _settings.Prompts, _probe, Strengths, threads: 1);
            foreach (var point in single)
            {
                var cell = _report.Cells.Single(c => c.Layers == row.ToString() && c.Strength == point.Strength);
                Assert.That(cell.Metrics.LogOdds, Is.EqualTo(point.MeanLogProbDifference).Within(1e-3), $"layers {row} @ {point.Strength}");
            }
        }
        // Strength 0 is the unsteered model, and layers 1-4 move the probe a lot: the comparison is not vacuous.
        Assert.That(_report.Cells.Where(c => c.Strength == 0).Select(c => c.Metrics.Shift!.Value), Has.All.EqualTo(0).Within(1e-4));
        var plus = _report.Cells.Single(c => c.Layers == "1-4" && c.Strength == 1).Metrics.Shift!.Value;
        var minus = _report.Cells.Single(c => c.Layers == "1-4" && c.Strength == -1).Metrics.Shift!.Value;
        Assert.That(plus, Is.GreaterThan(1));
        Assert.That(minus, Is.LessThan(-1));
    }

    [Test]
    public void ACellsNeutralPerplexityEqualsASingleRun()
    {
        var cell = _report.Cells.Single(c => c.Layers == "1-4" && c.Strength == 1);
        var plan = SweepSettings.Plan(_settings.Candidates[0], TrainedVectors.Layers, 1);
        var steered = Perplexity.Of(_model, _settings.NeutralText!, plan, threads: 1).Value;
        var plain = Perplexity.Of(_model, _settings.NeutralText!, threads: 1).Value;
        Assert.That(cell.Metrics.NeutralPerplexity, Is.EqualTo(steered).Within(1e-3 * steered));
        Assert.That(_report.Baseline.NeutralPerplexity, Is.EqualTo(plain).Within(1e-3 * plain));
        Assert.That(cell.Metrics.PerplexityRatio, Is.EqualTo(steered / plain).Within(1e-3));
    }

    [Test]
    public void ACellsGenerationsEqualSingleSeededRuns()
    {
        var cell = _report.Cells.Single(c => c.Layers == "3" && c.Strength == 1);
        var plan = SweepSettings.Plan(_settings.Candidates[0], LayerSet.Of([3]), 1);
        using var ctx = _model.CreateContext(new ContextOptions { Threads = 1, EnableGraphHooks = true, ContextSize = 128 });
        var generator = new TextGenerator(ctx);
        double nll = 0;
        var scored = 0;
        foreach (var g in cell.Metrics.Generations)
        {
            var single = generator.Generate(_settings.Prompts[g.Prompt], new GenerationOptions
            {
                MaxTokens = _settings.MaxTokens,
                Sampling = _settings.Sampling with { Seed = g.Seed },
                Plan = plan,
            });
            Assert.That(g.Text, Is.EqualTo(single.Text), $"prompt {g.Prompt}, seed {g.Seed}");
            // Each generation's tokens scored by the unsteered model given its prompt, pooled over the cell's generations.
            var prompt = _model.Tokenize(_settings.Prompts[g.Prompt]);
            var continuation = Perplexity.OfContinuation(_model, [.. prompt, .. single.Tokens], prompt.Length, threads: 1);
            nll += continuation.MeanNegativeLogLikelihood * continuation.Tokens;
            scored += continuation.Tokens;
        }
        Assert.That(cell.Metrics.GenerationPerplexity, Is.EqualTo(Math.Exp(nll / scored)).Within(1e-3).Percent, "the generations' perplexity under the unsteered model");
        // Seeds are per (prompt, sample) and shared by the cells: sample k of prompt p uses seed + p * samples + k, as the README says.
        var documented = from p in Enumerable.Range(0, _settings.Prompts.Count)
                         from k in Enumerable.Range(0, _settings.Samples)
                         select (p, 11u + (uint)(p * 2 + k));
        foreach (var c in _report.Cells.Select(c => c.Metrics).Append(_report.Baseline))
            Assert.That(c.Generations.Select(g => (g.Prompt, g.Seed)), Is.EquivalentTo(documented));
    }

    [Test]
    public void RatesAndPerplexitiesComeFromTheGenerations()
    {
        var keywords = new Keywords(_settings.Keywords);
        foreach (var m in _report.Cells.Select(c => c.Metrics).Append(_report.Baseline))
        {
            var texts = m.Generations.Select(g => g.Text).ToArray();
            Assert.That(m.ConceptRate, Is.EqualTo(texts.Count(keywords.AnyIn) / (double)texts.Length));
            Assert.That(m.KeywordsPerGeneration, Is.EqualTo(texts.Average(keywords.Count)));
            Assert.That(m.CheckPassRates["max-words:8"], Is.EqualTo(texts.Count(t => TextMeasures.Words(t) <= 8) / (double)texts.Length));
            Assert.That(m.GenerationPerplexity, Is.Not.Null.And.GreaterThan(1));
        }
    }

    [Test]
    public void TheRecommendationIsTheLargestEffectUnderTheBound()
    {
        var r = _report.Recommendation;
        Assert.That(r, Is.Not.Null, _report.RecommendationText);
        var eligible = _report.Cells.Where(c => c.Strength != 0 && c.Metrics.PerplexityRatio <= _settings.MaxPerplexityRatio).ToList();
        var best = eligible.MaxBy(c => c.Metrics.Shift!.Value)!;
        Assert.That((r!.Layers, r.Strength), Is.EqualTo((best.Layers, best.Strength)));
        Assert.That(_report.RecommendationText, Does.StartWith("recommended:").And.Contain("<= 1.5"));
    }

    [Test]
    public void RecommenderSkipsCellsOverTheBoundAndSaysWhenNothingQualifies()
    {
        SweepMetrics M(double shift, double ratio) => new(shift, shift, null, null, 10 * ratio, ratio, null, new Dictionary<string, double>(), []);
        var baseline = M(0, 1);
        var settings = _settings with { MaxPerplexityRatio = 1.5 };
        SweepCell[] cells =
        [
            new("v", "2", 1, M(2, 1.2)),
            new("v", "3", 2, M(5, 1.6)), // larger, but over the bound
            new("v", "3", 1, M(3, 1.4)),
            new("v", "3", 0, M(0, 1)),
            new("v", "2", -1, M(-2, 1.1)),
        ];
        var (best, text) = SweepRecommender.Recommend(baseline, cells, settings, EffectMeasure.ProbeShift);
        Assert.That((best!.Layers, best.Strength, best.Effect), Is.EqualTo(("3", 1f, 3.0)));
        Assert.That(text, Does.Contain("layer 3 at strength 1"));

        var (none, why) = SweepRecommender.Recommend(baseline, [cells[1], cells[4]], settings, EffectMeasure.ProbeShift);
        Assert.That(none, Is.Null);
        Assert.That(why, Does.StartWith("no recommendation").And.Contain("1 of 2"));
    }

    /// <summary>A sweep without a probe or a neutral text leaves those measures out, and a candidate's own strengths replace the sweep's.</summary>
    [Test]
    public void UnmeasuredPartsAreNullAndACandidatesStrengthsAreItsOwn()
    {
        var settings = _settings with
        {
            Candidates = [new SweepCandidate("mood", _mood), new SweepCandidate("once", _mood) { Strengths = [2f] }],
            LayerRows = [LayerSet.Of([3])],
            Prompts = [_settings.Prompts[0]],
            Probe = null,
            NeutralText = null,
            MaxTokens = 2,
            Samples = 1,
        };
        var report = SteeringSweep.Run(_model, settings);
        Assert.That(report.Cells.Select(c => (c.Candidate, c.Strength)), Is.EqualTo(new[] { ("mood", -1f), ("mood", 0f), ("mood", 1f), ("once", 2f) }));
        foreach (var m in report.Cells.Select(c => c.Metrics).Append(report.Baseline))
        {
            Assert.That((m.LogOdds, m.Shift, m.NeutralPerplexity, m.PerplexityRatio), Is.EqualTo(((double?)null, (double?)null, (double?)null, (double?)null)));
            Assert.That(m.ConceptRate, Is.Not.Null);
        }
        Assert.That(report.Recommendation, Is.Null);
        Assert.That(report.RecommendationText, Is.EqualTo("no recommendation: without a neutral text the fluency cost cannot be bounded."));
        Assert.That(report.EffectMeasure, Is.EqualTo("keyword rate change"));
    }

    [Test]
    public void ANeutralTextOfTwoTokensIsEnoughAndOfOneIsRefused()
    {
        var tiny = _settings with { Prompts = [_settings.Prompts[0]], LayerRows = [LayerSet.Of([3])], Strengths = [1f], MaxTokens = 1, Samples = 1 };
        Assert.That(_model.Tokenize("a"), Has.Length.EqualTo(2), "BOS and one token");
        Assert.That(SteeringSweep.Run(_model, tiny with { NeutralText = "a" }).Baseline.NeutralPerplexity, Is.GreaterThan(1));
        Assert.That(Assert.Throws<ArgumentException>(() => SteeringSweep.Run(_model, tiny with { NeutralText = "" }))!.Message,
            Is.EqualTo("The neutral text has fewer than two tokens; perplexity needs at least two."));
    }

    /// <summary>Each prompt plus the tokens to generate must fit the model's trained context, to the token.</summary>
    [Test]
    public void PromptsMustFitTheTrainedContext()
    {
        var context = _model.Info.TrainedContextLength;
        Assert.That(context, Is.GreaterThan(0));
        SteeringSweep.CheckPromptsFit(_model, [3, context - 11], 10);
        SteeringSweep.CheckPromptsFit(_model, [], 10);
        var e = Assert.Throws<LlamaSteer.Errors.ContextOverflowException>(() => SteeringSweep.CheckPromptsFit(_model, [3, context - 10], 10))!;
        Assert.That(e.Message, Is.EqualTo($"A prompt of {context - 10} tokens plus 10 generated tokens does not fit the model's context of {context} tokens; shorten the prompt or lower --max-tokens."));
        Assert.That(() => SteeringSweep.Run(_model, _settings with { Prompts = [string.Join(" ", Enumerable.Repeat("Once upon a time", context / 4))] }),
            Throws.InstanceOf<LlamaSteer.Errors.ContextOverflowException>());
        Assert.Throws<ArgumentNullException>(() => SteeringSweep.Run(null!, _settings));
        Assert.Throws<ArgumentNullException>(() => SteeringSweep.Run(_model, null!));
    }

    [Test]
    public void BadSettingsAreRefusedBeforeDecoding()
    {
        Assert.That(() => SteeringSweep.Run(_model, _settings with { Strengths = [1f, float.NaN] }),
            Throws.ArgumentException.With.Message.Contains("not a finite number"));
        Assert.That(() => SteeringSweep.Run(_model, _settings with { Prompts = [] }),
            Throws.ArgumentException.With.Message.Contains("prompt set is empty"));
        Assert.That(() => SteeringSweep.Run(_model, _settings with { LayerRows = [LayerSet.Of([7])] }),
            Throws.ArgumentException.With.Message.Contains("outside the model"));
        Assert.That(() => SteeringSweep.Run(_model, _settings with { LayerRows = [LayerSet.Of([0])] }),
            Throws.ArgumentException.With.Message.Contains("no direction on the chosen layers"));
        Assert.That(() => SteeringSweep.Run(_model, _settings with { MaxPerplexityRatio = 0.5 }),
            Throws.ArgumentException.With.Message.Contains(">= 1"));
    }
}
