using LlamaSteer.Capture;
using LlamaSteer.Generation;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Serving;
using LlamaSteer.Steering;
using LlamaSteer.Steering.Contextual;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Serving;

/// <summary>
/// What the chat page relies on in the engine: a running sequence's plan replaced between two decodes, and the
/// per-token steering data (applied strength, projection) each served token carries, checked against independent paths.
/// </summary>
[TestFixture]
public class LivePlanTests
{
    private LlamaModel _model = null!;
    private SteeringVector _vector = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _model = LlamaModel.Load(TestPaths.Model);
        var rng = new Random(11);
        _vector = new SteeringVector(_model.EmbeddingSize, Enumerable.Range(1, _model.LayerCount - 1)
            .ToDictionary(l => l, _ => Enumerable.Range(0, _model.EmbeddingSize).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray()), "llama");
    }

    [OneTimeTearDown] public void Free() => _model.Dispose();

    private ContinuousBatchScheduler Scheduler() =>
        new(_model, new SchedulerOptions { Slots = 2, QueueLimit = 4, SlotContext = 256, Threads = 1 });

    private SteeringTerm Term(float strength, string layers, TokenWindow? window = null) =>
        new(_vector, strength, LayerSet.Parse(layers, _model.LayerCount), SteeringOperator.Add, window);

    private string Alone(string prompt, GenerationOptions options)
    {
        using var ctx = _model.CreateContext(new ContextOptions { Threads = 1, ContextSize = 256, EnableGraphHooks = true });
        return new TextGenerator(ctx).Generate(prompt, options).Text;
    }

    [Test]
    public async Task APlanReplacedMidAnswerKeepsEarlierTokensAndSteersLaterOnesAsAWindowedPlanWould()
    {
        var options = new GenerationOptions { MaxTokens = 40, Sampling = SamplingOptions.Greedy, Plan = new([Term(1f, "1-3")]) };
        var replacement = new SteeringPlan([Term(-4f, "1-3")]);
        await using var scheduler = Scheduler();
        var unchanged = await scheduler.GenerateAsync(new ServingRequest("Once upon a time", options));

        // Paced, so the change surely arrives while the answer is being written, however busy the machine.
        var sequence = scheduler.Submit(new ServingRequest("Once upon a time", options) { TokenInterval = TimeSpan.FromMilliseconds(25) });
        var tokens = new List<ServedToken>();
        var askedAt = -1;
        await foreach (var t in sequence.ReadAllAsync())
        {
            tokens.Add(t);
            if (tokens.Count == 5)
            {
                askedAt = tokens.Count;
                Assert.That(scheduler.ReplacePlan(sequence, replacement), Is.EqualTo(1));
            }
        }
        var k = tokens.FindIndex(t => t.PlanRevision == 1);
        Assert.That(k, Is.GreaterThanOrEqualTo(askedAt), "no token produced before the change was asked for carries the new plan");
        Assert.That(tokens.Skip(k).All(t => t.PlanRevision == 1), Is.True, "the new plan stays in force");
        Assert.That(tokens.Count, Is.GreaterThan(k + 5), "enough tokens after the change to compare");

        var text = string.Concat(tokens.Select(t => t.Piece.Text));
        var before = string.Concat(tokens.Take(k).Select(t => t.Piece.Text));
        Assert.That(unchanged.Text, Does.StartWith(before), "tokens before the change are those of the unchanged run");
        Assert.That(text, Is.Not.EqualTo(unchanged.Text), "the new strength changes the rest");

        // Token k is sampled from the row of the token before it (position prompt + k - 1): from that row on, the new plan.
        var from = sequence.PromptTokens + k - 1;
        var windowed = options with
        {
            Plan = new([Term(1f, "1-3", TokenWindow.At((0, from))), Term(-4f, "1-3", TokenWindow.At((from, 256)))]),
        };
        Assert.That(text, Is.EqualTo(Alone("Once upon a time", windowed)));
        Assert.That(tokens.Take(k).All(t => t.Steering!.Applied[0] == 1f) && tokens.Skip(k).All(t => t.Steering!.Applied[0] == -4f), Is.True,
            "each token reports the strength of the plan it was produced under");
    }

    [Test]
    public async Task AppliedStrengthsAndProjectionsMatchThePlansFormulaOnCapturedRows()
    {
        const int layer = 2;
        var rng = new Random(3);
        var w = Enumerable.Range(0, _model.EmbeddingSize).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.5f).ToArray();
        var clas = new LinearContextualStrength(_model.EmbeddingSize, [new ClasLayer(layer, w, 0.3f)], min: -1, max: 2);
        var plan = new SteeringPlan(
        [
            Term(2f, layer.ToString()) with { Contextual = clas },
            Term(0.75f, "3", TokenWindow.Generated),
        ]);
        var options = new GenerationOptions { MaxTokens = 16, Sampling = SamplingOptions.Greedy, Plan = plan };
        await using var scheduler = Scheduler();
        var sequence = scheduler.Submit(new ServingRequest("Lily had a little dog", options));
        var tokens = new List<ServedToken>();
        await foreach (var t in sequence.ReadAllAsync()) tokens.Add(t);
        Assert.That(tokens, Has.Count.GreaterThan(4));

        // Steering sits on layers 2 and 3 only, so layer 2's residual before steering is what the unsteered model
        // computes for the same tokens: capture it for the prompt and the generated tokens in one pass.
        var ids = _model.Tokenize("Lily had a little dog", addSpecial: true, parseSpecial: false).Concat(tokens.Select(t => t.Piece.Token).Where(t => t >= 0)).ToArray();
        using var capturer = new ActivationCapturer(_model, threads: 1);
        var captured = capturer.Capture([new CaptureItem(ids)], LayerSet.Of([layer]), CapturePositions.AllTokens);
        var unit = _vector.Direction(layer).ToArray();
        var norm = System.Numerics.Tensors.TensorPrimitives.Norm(unit);
        for (var i = 0; i < unit.Length; i++) unit[i] /= norm;

        var applied = new List<float>();
        for (var j = 0; j < tokens.Count; j++)
        {
            var h = captured.Row(layer, sequence.PromptTokens + j - 1);
            var expected = 2f * clas.Coefficient(layer, h);
            var projection = System.Numerics.Tensors.TensorPrimitives.Dot(h, unit);
            var s = tokens[j].Steering!;
            Assert.That(s.Applied[0], Is.EqualTo(expected).Within(2e-3f + 2e-3f * Math.Abs(expected)), $"CLAS strength at token {j}");
            Assert.That(s.Projection[0], Is.EqualTo(projection).Within(2e-3f + 2e-3f * Math.Abs(projection)), $"projection at token {j}");
            applied.Add(s.Applied[0]);
            // The second term steers generated positions only: the first token comes from the last prompt row.
            if (j == 0) Assert.That((s.Applied[1], float.IsNaN(s.Projection[1])), Is.EqualTo((0f, true)));
            else Assert.That((s.Applied[1], float.IsFinite(s.Projection[1])), Is.EqualTo((0.75f, true)));
        }
        Assert.That(applied.Distinct().Count(), Is.GreaterThan(1), "CLAS varies the strength per token");
    }

    [Test]
    public async Task APlanChangeIsRefusedForAFinishedSequenceAndForAnotherSchedulersOneAndAnInvalidPlan()
    {
        var options = new GenerationOptions { MaxTokens = 4, Sampling = SamplingOptions.Greedy };
        await using var scheduler = Scheduler();
        await using var other = Scheduler();
        var done = scheduler.Submit(new ServingRequest("Once upon a time", options));
        await done.Completion;
        var plan = new SteeringPlan([Term(1f, "1-3")]);
        Assert.That(() => scheduler.ReplacePlan(done, plan), Throws.InvalidOperationException.With.Message.Contains("finished"));
        Assert.That(() => other.ReplacePlan(done, plan), Throws.InvalidOperationException.With.Message.Contains("another scheduler"));

        var running = scheduler.Submit(new ServingRequest("Once upon a time", options with { MaxTokens = 64 }));
        var wide = new SteeringVector(32, new Dictionary<int, float[]> { [1] = new float[32] }, "llama");
        Assert.That(() => scheduler.ReplacePlan(running, new SteeringPlan([new SteeringTerm(wide, 1f)])), Throws.ArgumentException.With.Message.Contains("n_embd"));
        Assert.That((await running.Completion).Text, Is.EqualTo(Alone("Once upon a time", options with { MaxTokens = 64 })), "a refused change leaves the run as it was");
    }

    [Test]
    public async Task APacedSequenceWritesTheSameTextAndDoesNotHoldBackAnUnpacedOne()
    {
        var options = new GenerationOptions { MaxTokens = 12, Sampling = SamplingOptions.Greedy, Plan = new([Term(1.5f, "1-3")]) };
        await using var scheduler = Scheduler();
        var paced = scheduler.Submit(new ServingRequest("Once upon a time", options) { TokenInterval = TimeSpan.FromMilliseconds(200) });
        var free = await scheduler.GenerateAsync(new ServingRequest("Lily had a little dog", options));
        Assert.That(paced.IsFinished, Is.False, "the unpaced request finished while the paced one still waits for its turns");
        Assert.That(free.Text, Is.EqualTo(Alone("Lily had a little dog", options)));
        Assert.That((await paced.Completion).Text, Is.EqualTo(Alone("Once upon a time", options)));
        Assert.That(() => scheduler.Submit(new ServingRequest("x", options) { TokenInterval = TimeSpan.FromSeconds(-1) }), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
