using LlamaSteer.Evaluation;
using LlamaSteer.Models;
using LlamaSteer.Prompts;
using LlamaSteer.Steering;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Evaluation;

/// <summary>
/// What the scorer, perplexity and the probe refuse before any decoding, each with the one line eval prints; and the
/// edges they accept. Uses the shared model for its sizes and tokenizer only.
/// </summary>
[TestFixture]
public class ScorerRefusalTests
{
    private LlamaModel _model = null!;
    private int[] _tokens = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _model = SharedModel.Model;
        _tokens = _model.Tokenize("Once upon a time there was a cat");
    }

    private string Refusal(params ScoredSequence[] sequences) =>
        Assert.Throws<ArgumentException>(() => new SteeredScorer(_model, 1).ScoredLogits(sequences, (_, _, _) => { }))!.Message;

    [Test]
    public void SequencesTheScorerCannotScoreAreRefused()
    {
        var n = _tokens.Length;
        var withSlot = _tokens.ToArray();
        withSlot[1] = PreparedPrompt.EmbeddingSlot;
        Assert.Multiple(() =>
        {
            Assert.That(Refusal(new ScoredSequence(_tokens, SteeringPlan.None), new ScoredSequence([], SteeringPlan.None)), Is.EqualTo("Sequence 1 to score is empty."));
            Assert.That(Refusal(new ScoredSequence(_tokens, SteeringPlan.None, 0)), Is.EqualTo($"Sequence 0 has {n} tokens; ScoreFrom 0 is outside 1..{n}."));
            Assert.That(Refusal(new ScoredSequence(_tokens, SteeringPlan.None, n + 1)), Is.EqualTo($"Sequence 0 has {n} tokens; ScoreFrom {n + 1} is outside 1..{n}."));
            Assert.That(Refusal(new ScoredSequence(withSlot, SteeringPlan.None, 2)),
                Is.EqualTo($"Sequence 0 has a steering token at position 1 without a row of n_embd {_model.EmbeddingSize} floats."));
            Assert.That(Refusal(new ScoredSequence(withSlot, SteeringPlan.None, 2) { Rows = new Dictionary<int, float[]> { [1] = new float[_model.EmbeddingSize - 1] } }),
                Does.StartWith("Sequence 0 has a steering token at position 1 without a row"));
            Assert.That(Refusal(new ScoredSequence(withSlot, SteeringPlan.None, 1) { Rows = new Dictionary<int, float[]> { [1] = new float[_model.EmbeddingSize] } }),
                Is.EqualTo("Sequence 0 scores position 1, which is a steering token."));
        });
    }

    [Test]
    public void OnlyTheLastTokenMayBeScoredAndARowMayStandBeforeTheScoredOnes()
    {
        var withSlot = _tokens.ToArray();
        withSlot[1] = PreparedPrompt.EmbeddingSlot;
        var visited = new List<(int Sequence, int Position)>();
        new SteeredScorer(_model, 1).ScoredLogits(
            [
                new ScoredSequence(_tokens, SteeringPlan.None, _tokens.Length - 1),
                new ScoredSequence(withSlot, SteeringPlan.None, 2) { Rows = new Dictionary<int, float[]> { [1] = new float[_model.EmbeddingSize] } },
            ],
            (seq, pos, _) => visited.Add((seq, pos)));

        Assert.That(() => new SteeredScorer(_model, 1).ScoredLogits([new ScoredSequence(_tokens, SteeringPlan.None, _tokens.Length)], (_, _, _) => { }),
            Throws.Nothing, "ScoreFrom n is allowed and scores nothing");
        Assert.That(visited.Where(v => v.Sequence == 0).Select(v => v.Position), Is.EqualTo(new[] { _tokens.Length - 2 }), "the logits at n-2 predict the last token");
        Assert.That(visited.Where(v => v.Sequence == 1).Select(v => v.Position), Is.EqualTo(Enumerable.Range(1, _tokens.Length - 2)), "the steering token's own logits predict the first scored token");
    }

    [Test]
    public void PerplexityNeedsSomethingToPredict()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => Perplexity.Of(_model, _tokens[..1], [SteeringPlan.None], 1),
                Throws.ArgumentException.With.Message.EqualTo("A text of 1 token(s) has nothing to predict; perplexity needs at least two."));
            Assert.That(() => Perplexity.Of(_model, _tokens, [], 1), Throws.ArgumentException.With.Message.EqualTo("No plans to measure perplexity under."));
            Assert.That(() => Perplexity.OfContinuation(_model, _tokens, 0, threads: 1),
                Throws.ArgumentException.With.Message.EqualTo($"The continuation is empty: {_tokens.Length} tokens with a prompt of 0."));
            Assert.That(() => Perplexity.OfContinuation(_model, _tokens, _tokens.Length, threads: 1),
                Throws.ArgumentException.With.Message.EqualTo($"The continuation is empty: {_tokens.Length} tokens with a prompt of {_tokens.Length}."));
            Assert.That(Perplexity.Of(_model, _tokens[..2], [SteeringPlan.None], 1)[0].Tokens, Is.EqualTo(1), "two tokens: one prediction");
            Assert.That(Perplexity.OfContinuation(_model, _tokens, 1, threads: 1).Tokens, Is.EqualTo(_tokens.Length - 1));
            Assert.That(Perplexity.OfContinuation(_model, _tokens, _tokens.Length - 1, threads: 1).Tokens, Is.EqualTo(1));
        });
    }

    [Test]
    public void ProbeWordsMustBeGivenAndTellApartAndAnEffectNeedsPrompts()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => ProbeTokens.Resolve(_model, " ", "sad"), Throws.ArgumentException.With.Message.EqualTo("A probe word is empty."));
            Assert.That(() => ProbeTokens.Resolve(_model, "happy", " happy "),
                Throws.ArgumentException.With.Message.EqualTo("'happy' and ' happy ' start with the same token; the probe cannot tell them apart."));
            var probe = ProbeTokens.Resolve(_model, "happy", "sad");
            Assert.That(() => ConceptEffect.Sweep(_model, SharedModel.Vector("tinystories-happy-sad"), null, [], probe, [0f, 1f], 1),
                Throws.ArgumentException.With.Message.EqualTo("The effect needs at least one prompt."));
        });
    }
}
