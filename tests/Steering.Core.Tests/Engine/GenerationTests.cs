using LlamaSteer.Generation;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Engine;

[TestFixture]
public class GenerationTests
{
    // Recorded fact from models/README.md (greedy continuation of "Once upon a time").
    private const string KnownContinuation = ", there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.";

    private LlamaModel _model = null!;

    [OneTimeSetUp] public void Load() => _model = SharedModel.Model;

    private static GenerationOptions Greedy(int n) => new() { MaxTokens = n, Sampling = SamplingOptions.Greedy };

    [Test]
    public void GreedyGenerationGivesTheKnownContinuation()
    {
        using var ctx = _model.CreateContext(new() { Threads = 1 });
        var result = new TextGenerator(ctx).Generate("Once upon a time", Greedy(40));
        Assert.That(result.Text, Does.StartWith(KnownContinuation));
        Assert.That(result.Stats.GeneratedTokens, Is.EqualTo(result.Tokens.Count));
    }

    [Test]
    public void GreedyGenerationIsDeterministicAcrossContexts()
    {
        string Run()
        {
            using var ctx = _model.CreateContext(new() { Threads = 1 });
            return new TextGenerator(ctx).Generate("The cat sat", Greedy(48)).Text;
        }
        var first = Run();
        Assert.That(first, Is.Not.Empty);
        Assert.That(Run(), Is.EqualTo(first));
    }

    [Test]
    public void SeededSamplingIsReproducibleAndDiffersBetweenSeeds()
    {
        using var ctx = _model.CreateContext(new() { Threads = 1 });
        var gen = new TextGenerator(ctx);
        GenerationOptions Seeded(uint s) => new() { MaxTokens = 40, Sampling = new SamplingOptions { Temperature = 1.0f, Seed = s } };
        var a = gen.Generate("Once upon a time", Seeded(1)).Text;
        Assert.That(gen.Generate("Once upon a time", Seeded(1)).Text, Is.EqualTo(a));
        var others = Enumerable.Range(2, 4).Select(s => gen.Generate("Once upon a time", Seeded((uint)s)).Text);
        Assert.That(others, Has.Some.Not.EqualTo(a));
    }

    [Test]
    public async Task StreamingYieldsTheSameTextAsGenerate()
    {
        await using var ctx = _model.CreateContext(new() { Threads = 1 });
        var gen = new TextGenerator(ctx);
        var pieces = new List<string>();
        await foreach (var t in gen.StreamAsync("Once upon a time", Greedy(30))) pieces.Add(t.Text);
        Assert.That(string.Concat(pieces), Is.EqualTo(gen.Generate("Once upon a time", Greedy(30)).Text));
        Assert.That(pieces.Count, Is.GreaterThan(5));
    }

    [Test]
    public void StopStringEndsGenerationBeforeIt()
    {
        using var ctx = _model.CreateContext(new() { Threads = 1 });
        var result = new TextGenerator(ctx).Generate("Once upon a time", Greedy(60) with { StopStrings = ["Lily"] });
        Assert.That(result.Text, Is.EqualTo(", there was a little girl named "));
        Assert.That(result.Stats.StopReason, Is.EqualTo(StopReason.StopString));
    }

    [Test]
    public void CancellationStopsBetweenTokens()
    {
        using var ctx = _model.CreateContext(new() { Threads = 1 });
        using var cts = new CancellationTokenSource();
        var seen = 0;
        Assert.ThrowsAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in new TextGenerator(ctx).StreamAsync("Once upon a time", Greedy(100), null, cts.Token))
                if (++seen == 3) cts.Cancel();
        });
        Assert.That(seen, Is.EqualTo(3));
    }

    [Test]
    public void MaxTokensBoundsTheOutput()
    {
        using var ctx = _model.CreateContext(new() { Threads = 1 });
        var result = new TextGenerator(ctx).Generate("Once upon a time", Greedy(5));
        Assert.That(result.Tokens, Has.Count.EqualTo(5));
        Assert.That(result.Stats.StopReason, Is.EqualTo(StopReason.MaxTokens));
    }
}
