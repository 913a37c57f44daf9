using LlamaSteer.Evaluation;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Evaluation;

/// <summary>Perplexity on the real model: finite, sensitive to word order and to steering, and the same batched as alone.</summary>
[TestFixture]
public class PerplexityTests
{
    private LlamaModel _model = null!;
    private string _neutral = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _model = SharedModel.Model;
        _neutral = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "neutral", "tinystories-neutral.txt"));
    }


    [Test]
    public void ARealTextIsFiniteAndBeatsItsShuffledTokens()
    {
        var tokens = _model.Tokenize(_neutral);
        var real = Perplexity.Of(_model, tokens, [SteeringPlan.None], threads: 1)[0];
        var shuffled = tokens.Skip(1).ToArray();
        new Random(7).Shuffle(shuffled);
        var noise = Perplexity.Of(_model, [tokens[0], .. shuffled], [SteeringPlan.None], threads: 1)[0];
        TestContext.Out.WriteLine($"real {real.Value:F2} over {real.Tokens} tokens, shuffled {noise.Value:F2}");
        Assert.That(real.Tokens, Is.EqualTo(tokens.Length - 1));
        Assert.That(double.IsFinite(real.Value) && real.Value > 1, Is.True);
        Assert.That(real.Value, Is.LessThan(_model.VocabularySize), "better than a uniform guess");
        Assert.That(noise.Value, Is.GreaterThan(2 * real.Value));
    }

    [Test]
    public void EachPlanInOneBatchMatchesItsOwnRunAndSteeringRaisesIt()
    {
        var vector = SharedModel.Vector("tinystories-happy-sad");
        var plans = new[] { 0f, 2f, 8f }.Select(s => new SteeringPlan([new SteeringTerm(vector, s, TrainedVectors.Layers)])).ToList();
        var tokens = _model.Tokenize(_neutral);
        var together = Perplexity.Of(_model, tokens, [SteeringPlan.None, .. plans], threads: 1);
        var alone = Perplexity.Of(_model, _neutral, SteeringPlan.None, threads: 1);
        Assert.That(together[0].MeanNegativeLogLikelihood, Is.EqualTo(alone.MeanNegativeLogLikelihood).Within(1e-4));
        Assert.That(together[1].MeanNegativeLogLikelihood, Is.EqualTo(alone.MeanNegativeLogLikelihood).Within(1e-4), "strength 0 steers nothing");
        for (var i = 2; i < together.Count; i++)
            Assert.That(together[i].MeanNegativeLogLikelihood, Is.EqualTo(Perplexity.Of(_model, _neutral, plans[i - 1], threads: 1).MeanNegativeLogLikelihood).Within(1e-4));
        Assert.That(together[3].Value, Is.GreaterThan(together[0].Value), "a strength of 8 costs fluency");
    }

    [Test]
    public void TooShortATextIsRefused() =>
        Assert.That(() => Perplexity.Of(_model, [1], [SteeringPlan.None]), Throws.ArgumentException.With.Message.Contains("at least two"));

    [Test]
    public void EqualsTheMeanNegativeLogLikelihoodDecodedTokenByToken()
    {
        const string story = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.";
        var tokens = _model.Tokenize(story);
        var result = Perplexity.Of(_model, story, threads: 1);
        var continuation = Perplexity.OfContinuation(_model, tokens, 6, threads: 1);

        using var ctx = _model.CreateContext(new LlamaSteer.Inference.ContextOptions { Threads = 1, ContextSize = 128 });
        using var lease = ctx.Acquire();
        var batch = new LlamaSteer.Inference.TokenBatch();
        var nll = new double[tokens.Length - 1];
        for (var i = 0; i + 1 < tokens.Length; i++)
        {
            batch.Clear();
            batch.Add(tokens[i], i, 0, output: true);
            lease.Decode(batch);
            var logits = lease.Logits(0).ToArray();
            var max = logits.Max();
            nll[i] = max + Math.Log(logits.Sum(l => Math.Exp(l - max))) - logits[tokens[i + 1]];
        }
        Assert.That(result.Tokens, Is.EqualTo(tokens.Length - 1));
        Assert.That(result.MeanNegativeLogLikelihood, Is.EqualTo(nll.Average()).Within(1e-3));
        Assert.That(continuation.Tokens, Is.EqualTo(tokens.Length - 6));
        Assert.That(continuation.MeanNegativeLogLikelihood, Is.EqualTo(nll[5..].Average()).Within(1e-3));
    }

    [Test]
    public void AContinuationIsScoredUnderItsPlan()
    {
        var tokens = _model.Tokenize(_neutral)[..40];
        var plan = new SteeringPlan([new SteeringTerm(SharedModel.Vector("tinystories-happy-sad"), 8f, TrainedVectors.Layers)]);
        var steered = Perplexity.OfContinuation(_model, tokens, 10, plan, threads: 1);
        var plain = Perplexity.OfContinuation(_model, tokens, 10, threads: 1);
        var expected = new SteeredScorer(_model, 1).NextTokenLogProbs([new ScoredSequence(tokens, plan)])[0][9..];
        Assert.That(steered.MeanNegativeLogLikelihood, Is.EqualTo(-expected.Average()).Within(1e-9));
        Assert.That(steered.MeanNegativeLogLikelihood, Is.Not.EqualTo(plain.MeanNegativeLogLikelihood).Within(1e-3), "the plan was applied");
    }

    [Test]
    public void PoolingWeighsEveryTokenAlikeAndNothingPoolsToNull()
    {
        var pooled = PerplexityResult.Pool([[-1.0, -2.0, -3.0], [-6.0]])!;
        Assert.That(pooled.Tokens, Is.EqualTo(4));
        Assert.That(pooled.MeanNegativeLogLikelihood, Is.EqualTo(3.0), "(1 + 2 + 3 + 6) / 4, not the mean of the two rows' means");
        Assert.That(pooled.Value, Is.EqualTo(Math.Exp(3.0)));
        Assert.That(PerplexityResult.Pool([]), Is.Null);
        Assert.That(PerplexityResult.Pool([[], []]), Is.Null);
    }
}
