using LlamaSteer.Generation;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Serving;
using LlamaSteer.Steering;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Serving;

/// <summary>The continuous-batching scheduler without HTTP: isolation of per-request plans, chunked prefill beside decoding sequences, cancellation, the bounded queue, stopping.</summary>
[TestFixture]
public class SchedulerTests
{
    private LlamaModel _model = null!;
    private SteeringVector _vector = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _model = SharedModel.Model;
        var rng = new Random(5);
        _vector = new SteeringVector(_model.EmbeddingSize, Enumerable.Range(1, _model.LayerCount - 1)
            .ToDictionary(l => l, _ => Enumerable.Range(0, _model.EmbeddingSize).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray()), "llama");
    }


    private static readonly GenerationOptions Greedy = new() { MaxTokens = 24, Sampling = SamplingOptions.Greedy };

    private ContinuousBatchScheduler Scheduler(int slots = 4, int queue = 8, int chunk = 128) =>
        new(_model, new SchedulerOptions { Slots = slots, QueueLimit = queue, SlotContext = 256, PrefillChunk = chunk, Threads = 1 });

    private SteeringPlan Plan(float strength, string layers, TokenWindow? window = null) =>
        new([new SteeringTerm(_vector, strength, LayerSet.Parse(layers, _model.LayerCount), SteeringOperator.Add, window)]);

    /// <summary>What <see cref="TextGenerator"/> produces for the request alone in its own context.</summary>
    private string Alone(ServingRequest r)
    {
        using var ctx = _model.CreateContext(new ContextOptions { Threads = 1, ContextSize = 256, EnableGraphHooks = true });
        return new TextGenerator(ctx).Generate(r.Prompt, r.Options).Text;
    }

    [Test]
    public async Task ConcurrentGreedyRequestsWithDifferentSteeringEachMatchTheirRunAlone()
    {
        var requests = new[]
        {
            new ServingRequest("Once upon a time", Greedy with { Plan = Plan(2f, "1-3") }),
            new ServingRequest("Once upon a time", Greedy with { Plan = Plan(-1.5f, "2-4", TokenWindow.Generated) }),
            new ServingRequest("Once upon a time", Greedy),
        };
        await using var scheduler = Scheduler();
        var together = await Task.WhenAll(requests.Select(r => scheduler.GenerateAsync(r)));

        var alone = requests.Select(Alone).ToArray();
        for (var i = 0; i < requests.Length; i++)
        {
            Assert.That(together[i].Text, Is.EqualTo(alone[i]), $"request {i}");
            Assert.That((await scheduler.GenerateAsync(requests[i])).Text, Is.EqualTo(alone[i]), $"request {i} alone through the scheduler");
        }
        Assert.That(alone.Distinct().Count(), Is.EqualTo(3), "the plans should change the text");
        Assert.That(scheduler.ActiveSequences, Is.Zero);
    }

    [Test]
    public async Task ALongPromptAdmittedMidDecodePrefillsInChunksWithoutChangingAnyText()
    {
        var longPrompt = string.Join(" ", Enumerable.Repeat("Tim and Sue went to the park to play with a big red ball.", 6));
        var first = new ServingRequest("Lily had a little dog", Greedy with { MaxTokens = 40, Plan = Plan(1f, "1-4") });
        var late = new ServingRequest(longPrompt, Greedy with { Plan = Plan(1.5f, "2") });
        await using var scheduler = Scheduler(chunk: 8);

        var a = scheduler.Submit(first);
        var seen = 0;
        ServedSequence? b = null;
        await foreach (var _ in a.ReadAllAsync())
            if (++seen == 3) b = scheduler.Submit(late);
        Assert.That(b, Is.Not.Null);
        Assert.That(b!.PromptTokens, Is.GreaterThan(8 * 4), "the prompt must need several chunks");
        Assert.That((await a.Completion).Text, Is.EqualTo(Alone(first)));
        Assert.That((await b.Completion).Text, Is.EqualTo(Alone(late)));
    }

    [Test]
    public async Task CancellingARequestFreesItsSlotForTheNextOne()
    {
        await using var scheduler = Scheduler(slots: 1, queue: 1);
        using var cancel = new CancellationTokenSource();
        var running = scheduler.Submit(new ServingRequest("Once upon a time", Greedy with { MaxTokens = 200 }), cancel.Token);
        Assert.That(await running.Tokens.WaitToReadAsync(), Is.True, "the first request should start generating");
        var waiting = scheduler.Submit(new ServingRequest("The cat", Greedy));
        Assert.That(scheduler.QueueDepth, Is.EqualTo(1));
        Assert.That(() => scheduler.Submit(new ServingRequest("A dog", Greedy)), Throws.TypeOf<QueueFullException>());

        cancel.Cancel();
        Assert.That(async () => await running.Completion, Throws.InstanceOf<OperationCanceledException>());
        var result = await waiting.Completion;
        Assert.That(result.Text, Is.EqualTo(Alone(new ServingRequest("The cat", Greedy))));
        Assert.That(result.Stats.GeneratedTokens, Is.LessThanOrEqualTo(Greedy.MaxTokens));
        Assert.That(scheduler.ActiveSequences, Is.Zero);
        Assert.That(scheduler.QueueDepth, Is.Zero);
    }

    [Test]
    public async Task BadRequestsAreRefusedAtSubmitAndTheSchedulerKeepsServing()
    {
        await using var scheduler = Scheduler();
        Assert.That(() => scheduler.Submit(new ServingRequest("", Greedy)), Throws.ArgumentException);
        Assert.That(() => scheduler.Submit(new ServingRequest("Once", Greedy with { Plan = Plan(float.NaN, "1") })), Throws.ArgumentException);
        Assert.That(() => scheduler.Submit(new ServingRequest(string.Join(" ", Enumerable.Repeat("Once upon a time", 200)), Greedy)),
            Throws.TypeOf<Errors.ContextOverflowException>());
        Assert.That((await scheduler.GenerateAsync(new ServingRequest("Once upon a time", Greedy))).Text, Is.EqualTo(Alone(new ServingRequest("Once upon a time", Greedy))));
    }

    [Test]
    public async Task StoppingFinishesRunningRequestsWithinTheGraceAndRefusesNewOnes()
    {
        var scheduler = Scheduler();
        var running = scheduler.Submit(new ServingRequest("Once upon a time", Greedy));
        await scheduler.StopAsync(TimeSpan.FromSeconds(30));
        Assert.That((await running.Completion).Stats.GeneratedTokens, Is.GreaterThan(0));
        Assert.That(() => scheduler.Submit(new ServingRequest("Once", Greedy)), Throws.TypeOf<SchedulerStoppedException>());
        await scheduler.DisposeAsync();

        var aborted = Scheduler();
        var endless = aborted.Submit(new ServingRequest("Once upon a time", Greedy with { MaxTokens = 100_000 }));
        await aborted.StopAsync(TimeSpan.Zero);
        Assert.That(async () => await endless.Completion, Throws.InstanceOf<OperationCanceledException>());
        await aborted.DisposeAsync();
    }

    [Test]
    public async Task LogprobsAreTheLogSoftmaxOfTheChosenToken()
    {
        await using var scheduler = Scheduler();
        var seq = scheduler.Submit(new ServingRequest("Once upon a time", Greedy with { MaxTokens = 4 }, TopLogprobs: 3));
        var steps = new List<ServedToken>();
        await foreach (var t in seq.ReadAllAsync()) steps.Add(t);
        Assert.That(steps, Is.Not.Empty);
        foreach (var s in steps)
        {
            var lp = s.Logprob!;
            Assert.That(lp.Top, Has.Count.EqualTo(3));
            Assert.That(lp.Top[0].Token, Is.EqualTo(s.Piece.Token), "greedy picks the most likely token");
            Assert.That(lp.Logprob, Is.EqualTo(lp.Top[0].Logprob).Within(1e-5));
            Assert.That(lp.Top[0].Logprob, Is.GreaterThanOrEqualTo(lp.Top[1].Logprob));
            Assert.That(lp.Logprob, Is.LessThanOrEqualTo(0));
        }
    }
}
