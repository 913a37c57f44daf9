using LlamaSteer.Evaluation;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Evaluation;

[TestFixture]
public class PerplexityTests
{
    private const string Story = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.";
    private LlamaModel _model = null!;

    [OneTimeSetUp] public void Load() => _model = LlamaModel.Load(TestPaths.Model);
    [OneTimeTearDown] public void Free() => _model.Dispose();

    [Test]
    public void EqualsTheMeanNegativeLogLikelihoodDecodedTokenByToken()
    {
        var tokens = _model.Tokenize(Story);
        var result = Perplexity.Measure(_model, Story, threads: 1);

        using var ctx = _model.CreateContext(new ContextOptions { Threads = 1, ContextSize = 128 });
        using var lease = ctx.Acquire();
        var batch = new TokenBatch();
        double total = 0;
        for (var i = 0; i + 1 < tokens.Length; i++)
        {
            batch.Clear();
            batch.Add(tokens[i], i, 0, output: true);
            lease.Decode(batch);
            var logits = lease.Logits(0).ToArray();
            var max = logits.Max();
            total += max + Math.Log(logits.Sum(l => Math.Exp(l - max))) - logits[tokens[i + 1]];
        }
        Assert.That(result.ScoredTokens, Is.EqualTo(tokens.Length - 1));
        Assert.That(result.MeanNegativeLogLikelihood, Is.EqualTo(total / (tokens.Length - 1)).Within(1e-3));
        Assert.That(result.Value, Is.EqualTo(Math.Exp(result.MeanNegativeLogLikelihood)));
    }

    [Test]
    public void ScrambledTextIsLessLikely()
    {
        var words = Story.Split(' ');
        var scrambled = string.Join(' ', words.Select((w, i) => (w, k: (i * 7) % words.Length)).OrderBy(x => x.k).Select(x => x.w));
        var story = Perplexity.Measure(_model, Story, threads: 1).Value;
        var mixed = Perplexity.Measure(_model, scrambled, threads: 1).Value;
        TestContext.Out.WriteLine($"perplexity {story:F2} of the story, {mixed:F2} scrambled");
        Assert.That(mixed, Is.GreaterThan(story * 2));
    }

    [Test]
    public void SteeringIsAppliedAndAZeroStrengthChangesNothing()
    {
        var rng = new Random(5);
        var vector = new SteeringVector(_model.EmbeddingSize, Enumerable.Range(1, 4).ToDictionary(l => l, _ => Enumerable.Range(0, _model.EmbeddingSize).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray()));
        var plain = Perplexity.Measure(_model, Story, threads: 1);
        var zero = Perplexity.Measure(_model, Story, new SteeringPlan([new SteeringTerm(vector, 0f, null, SteeringOperator.Add, TokenWindow.Generated)]), threads: 1);
        var strong = Perplexity.Measure(_model, Story, new SteeringPlan([new SteeringTerm(vector, 3f)]), threads: 1);
        Assert.That(zero.MeanNegativeLogLikelihood, Is.EqualTo(plain.MeanNegativeLogLikelihood).Within(1e-9));
        Assert.That(strong.Value, Is.GreaterThan(plain.Value * 1.5));
    }
}
