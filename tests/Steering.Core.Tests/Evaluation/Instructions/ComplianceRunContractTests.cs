using LlamaSteer.Evaluation;
using LlamaSteer.Evaluation.Checkers;
using LlamaSteer.Evaluation.Instructions;
using LlamaSteer.Generation;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Evaluation.Instructions;

/// <summary>
/// What one compliance measurement is, recomputed here: each generation is the seeded single run (seed + prompt ×
/// samples + sample) under the condition's plan, the pass rates are shares of those texts, the fluency cost is the
/// neutral text's perplexity under the plan over the unsteered one, and the generations' perplexity is pooled over their
/// tokens given their prompts. Plus the refusals. Uses the shared model.
/// </summary>
[TestFixture]
public class ComplianceRunContractTests
{
    private const string Neutral = "The dog ran to the park. It was a sunny day and the birds sang in the trees.";
    private static readonly string[] Prompts = ["Once upon a time,", "One day, Tom"];
    private LlamaModel _model = null!;
    private Instruction _short = null!;
    private Instruction _long = null!;
    private SteeringPlan _plan = null!;
    private ComplianceSettings _settings = null!;
    private IReadOnlyList<ComplianceResult> _results = null!;

    /// <summary>Per condition (plain, steered): the single run of sample k of prompt p at index p * 2 + k, generated here.</summary>
    private GenerationResult[][] _singles = null!;

    [OneTimeSetUp]
    public void Measure()
    {
        _model = SharedModel.Model;
        _short = new Instruction("short", "Write few words.", [TextChecks.Parse("max-words:4")]);
        _long = new Instruction("long", "Write many words.", [TextChecks.Parse("min-words:3")]);
        _plan = new SteeringPlan([new SteeringTerm(SharedModel.Vector("tinystories-happy-sad"), 2f, LayerSet.Of([3]))]);
        _settings = new ComplianceSettings { MaxTokens = 6, Samples = 2, Seed = 5, NeutralText = Neutral, Sampling = new SamplingOptions { Temperature = 0.8f }, Threads = 1 };
        // The steered condition first: the ratio's denominator is the unsteered plan wherever it appears.
        var measured = ComplianceRun.Measure(_model,
        [
            new ComplianceCondition("steered", _plan, Prompts, [_short, _long]),
            new ComplianceCondition("plain", SteeringPlan.None, Prompts, [_short]),
        ], _settings);
        Assert.That(measured.Select(r => r.Name), Is.EqualTo(new[] { "steered", "plain" }), "results in the order of the conditions");
        _results = [measured[1], measured[0]];

        using var ctx = _model.CreateContext(new ContextOptions { Threads = 1, EnableGraphHooks = true, ContextSize = 128 });
        var generator = new TextGenerator(ctx);
        _singles = new[] { SteeringPlan.None, _plan }.Select(plan => (
            from p in Enumerable.Range(0, Prompts.Length)
            from k in Enumerable.Range(0, 2)
            select generator.Generate(Prompts[p], new GenerationOptions
            {
                MaxTokens = 6,
                Sampling = _settings.Sampling with { Seed = 5u + (uint)(p * 2 + k) },
                Plan = plan,
            })).ToArray()).ToArray();
    }

    [Test]
    public void EachGenerationIsTheSeededSingleRunUnderItsPlan()
    {
        for (var c = 0; c < 2; c++)
            Assert.That(_results[c].Generations, Is.EqualTo(_singles[c].Select(g => g.Text).ToArray()), _results[c].Name);
        Assert.That(_results[1].Generations, Is.Not.EqualTo(_results[0].Generations), "the plan steered");
    }

    [Test]
    public void RatesAreSharesOfTheGenerationsFollowingEveryJudgedInstruction()
    {
        var plain = _results[0];
        var steered = _results[1];
        double Share(ComplianceResult r, Func<string, bool> follows) => r.Generations.Count(follows) / 4.0;
        Assert.Multiple(() =>
        {
            Assert.That(_results.Select(r => r.Name), Is.EqualTo(new[] { "plain", "steered" }));
            Assert.That(plain.InstructionPassRates.Keys, Is.EqualTo(new[] { "short" }));
            Assert.That(plain.PassRate, Is.EqualTo(Share(plain, _short.IsFollowedBy)));
            Assert.That(steered.InstructionPassRates["short"], Is.EqualTo(Share(steered, _short.IsFollowedBy)));
            Assert.That(steered.InstructionPassRates["long"], Is.EqualTo(Share(steered, _long.IsFollowedBy)));
            Assert.That(steered.PassRate, Is.EqualTo(Share(steered, g => _short.IsFollowedBy(g) && _long.IsFollowedBy(g))));
        });
        // The two checks disagree on some generation, so the joint rate is not either rate.
        Assert.That(steered.Generations.Any(g => _short.IsFollowedBy(g) != _long.IsFollowedBy(g)), "the test would not tell the rates apart");
    }

    [Test]
    public void FluencyIsTheNeutralTextsPerplexityRatioAndTheGenerationsPooledPerplexity()
    {
        var plain = Perplexity.Of(_model, Neutral, threads: 1).Value;
        var steered = Perplexity.Of(_model, Neutral, _plan, threads: 1).Value;
        Assert.That(_results[0].PerplexityRatio, Is.EqualTo(1.0));
        Assert.That(_results[1].PerplexityRatio, Is.EqualTo(steered / plain).Within(1e-4).Percent);
        Assert.That(_results[1].PerplexityRatio, Is.Not.EqualTo(1.0).Within(1e-4));

        for (var c = 0; c < 2; c++)
        {
            double nll = 0;
            var scored = 0;
            for (var p = 0; p < Prompts.Length; p++)
                for (var k = 0; k < 2; k++)
                {
                    var prompt = _model.Tokenize(Prompts[p]);
                    var continuation = Perplexity.OfContinuation(_model, [.. prompt, .. _singles[c][p * 2 + k].Tokens], prompt.Length, threads: 1);
                    nll += continuation.MeanNegativeLogLikelihood * continuation.Tokens;
                    scored += continuation.Tokens;
                }
            var result = _results[c];
            Assert.That(result.GenerationPerplexity, Is.EqualTo(Math.Exp(nll / scored)).Within(1e-3).Percent, result.Name);
        }
    }

    [Test]
    public void ConditionsThatCannotBeMeasuredAreRefused()
    {
        string Refusal(params ComplianceCondition[] conditions) =>
            Assert.Throws<ArgumentException>(() => ComplianceRun.Measure(_model, conditions, _settings))!.Message;
        var wrongWidth = new SteeringPlan([new SteeringTerm(new SteeringVector(_model.EmbeddingSize + 1, new Dictionary<int, float[]> { [2] = new float[_model.EmbeddingSize + 1] }), 1f)]);
        Assert.Multiple(() =>
        {
            Assert.That(Refusal(), Is.EqualTo("No condition to measure."));
            Assert.That(Assert.Throws<ArgumentException>(() => ComplianceRun.Measure(_model, [new ComplianceCondition("plain", SteeringPlan.None, Prompts, [_short])], _settings with { Samples = 0 }))!.Message,
                Is.EqualTo("samples must be at least 1."));
            Assert.That(Refusal(new ComplianceCondition("none", SteeringPlan.None, [], [_short])), Is.EqualTo("The condition 'none' has no prompts or an empty one."));
            Assert.That(Refusal(new ComplianceCondition("blank", SteeringPlan.None, ["One day,", " "], [_short])), Is.EqualTo("The condition 'blank' has no prompts or an empty one."));
            Assert.That(Refusal(new ComplianceCondition("wide", wrongWidth, Prompts, [_short])), Does.Contain($"{_model.EmbeddingSize + 1}"));
        });
        Assert.That(_model.Tokenize("Once"), Has.Length.EqualTo(2), "BOS and one token");
        var shortest = ComplianceRun.Measure(_model, [new ComplianceCondition("plain", SteeringPlan.None, ["One day,"], [_short])], _settings with { NeutralText = "Once", Samples = 1, MaxTokens = 1 });
        Assert.That(shortest.Single().PerplexityRatio, Is.EqualTo(1.0), "two tokens are enough for a perplexity");
    }
}
