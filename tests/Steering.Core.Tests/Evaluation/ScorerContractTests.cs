using LlamaSteer.Evaluation;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Evaluation;

/// <summary>
/// The scorer's arithmetic and its waves: log-softmax stays finite at logits far apart, a sequence longer than the
/// wave's token budget still gets a context of its own length (with a positions window past that budget), and
/// sequences split into several waves score exactly as each scored alone.
/// </summary>
[TestFixture]
public class ScorerContractTests
{
    private LlamaModel _model = null!;
    private int[] _long = null!;
    private int[] _short = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _model = SharedModel.Model;
        // Longer than llama.cpp's smallest context (it pads n_ctx to 256 cells), so a too-small context cannot hold it.
        _long = _model.Tokenize(string.Join(" ", Enumerable.Repeat("Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her dog.", 12)));
        _short = _model.Tokenize("The cat sat.");
    }

    [Test]
    public void LogSoftmaxIsTakenFromTheLargestLogitSoNothingOverflows()
    {
        float[] logits = [1000f, 0f, -5f];
        var scratch = new float[logits.Length];
        Assert.That(SteeredScorer.LogSoftmaxAt(logits, 0, scratch), Is.EqualTo(0).Within(1e-12));
        Assert.That(SteeredScorer.LogSoftmaxAt(logits, 1, scratch), Is.EqualTo(-1000).Within(1e-9));
        float[] even = [2f, 2f];
        Assert.That(SteeredScorer.LogSoftmaxAt(even, 1, scratch), Is.EqualTo(-Math.Log(2)).Within(1e-7));
    }

    [Test]
    public void ASequenceLongerThanTheTokenBudgetIsScoredWholeWithWindowsPastTheBudget()
    {
        Assert.That(_long.Length, Is.GreaterThan(300), "the sequence must outrun the budget below and any padded context");
        var direction = new float[_model.EmbeddingSize];
        direction[5] = 3f;
        var vector = new SteeringVector(_model.EmbeddingSize, Enumerable.Range(1, 4).ToDictionary(l => l, _ => direction));
        var window = TokenWindow.Parse($"positions:{_long.Length - 4}-{_long.Length - 1}");
        var plan = new SteeringPlan([new SteeringTerm(vector, 2f, LayerSet.Range(1, 4), Window: window)]);
        ScoredSequence[] sequences = [new(_short, SteeringPlan.None), new(_long, plan), new(_long, SteeringPlan.None)];

        var tight = new SteeredScorer(_model, 1) { MaxContextTokens = 16 }.NextTokenLogProbs(sequences);
        var roomy = new SteeredScorer(_model, 1).NextTokenLogProbs(sequences);
        for (var i = 0; i < sequences.Length; i++)
            Assert.That(tight[i], Is.EqualTo(roomy[i]).Within(1e-4), $"sequence {i}");
        Assert.That(tight[1][^1], Is.Not.EqualTo(tight[2][^1]).Within(1e-3), "the window past the budget steered the last positions");
        Assert.That(tight[1][..^4], Is.EqualTo(tight[2][..^4]).Within(1e-4), "and nothing before it");
    }

    [Test]
    public void CancellingBetweenDecodesStopsTheRun()
    {
        using var cts = new CancellationTokenSource();
        var visited = 0;
        var scorer = new SteeredScorer(_model, 1) { BatchSize = 16 };
        Assert.That(() => scorer.ScoredLogits([new ScoredSequence(_long, SteeringPlan.None)], (_, _, _) =>
        {
            visited++;
            cts.Cancel();
        }, cts.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(visited, Is.EqualTo(16), "the first decode's rows were handed over, no further decode ran");
    }

    [Test]
    public void NothingToScoreIsNoWork()
    {
        Assert.That(new SteeredScorer(_model, 1).NextTokenLogProbs([]), Is.Empty);
        var visited = false;
        new SteeredScorer(_model, 1).ScoredLogits([], (_, _, _) => visited = true);
        Assert.That(visited, Is.False);
    }

    [Test]
    public void WavesOfOneSequenceScoreAsEachSequenceAlone()
    {
        ScoredSequence[] sequences = [new(_long, SteeringPlan.None), new(_short, SteeringPlan.None), new(_long[..9], SteeringPlan.None)];
        var waves = new SteeredScorer(_model, 1) { MaxSequences = 1 }.NextTokenLogProbs(sequences);
        for (var i = 0; i < sequences.Length; i++)
            Assert.That(waves[i], Is.EqualTo(new SteeredScorer(_model, 1).NextTokenLogProbs([sequences[i]])[0]), $"sequence {i}: an earlier wave's cells are gone");
    }
}
