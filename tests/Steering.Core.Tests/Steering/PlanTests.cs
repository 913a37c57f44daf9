using System.Numerics.Tensors;
using LlamaSteer.Capture;
using LlamaSteer.Generation;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Steering;

/// <summary>Per-sequence plans through the evaluation callback: isolation, windows, operators, equivalence with llama.cpp's control vector.</summary>
[TestFixture]
public class PlanTests
{
    private LlamaModel _model = null!;
    private SteeringVector _vector = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _model = SharedModel.Model;
        _vector = SharedModel.RandomVector(seed: 3);
    }


    private InferenceContext Context(int sequences = 2) =>
        _model.CreateContext(new ContextOptions { Threads = 1, MaxSequences = sequences, EnableGraphHooks = true, ContextSize = 256 });

    private static float MaxDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var m = 0f;
        for (var i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }

    private int[] Tokens(string s) => _model.Tokenize(s);

    [Test]
    public void UnsteeredSequenceInABatchWithASteeredOneMatchesAnUnsteeredRun()
    {
        var a = Tokens("Once upon a time, there was a");
        var b = Tokens("Tim went to the park and saw a");
        var plan = new SteeringPlan([new SteeringTerm(_vector, 4f, LayerSet.Range(0, 4))]);

        using var ctx = Context();
        using var lease = ctx.Acquire();
        var batch = new TokenBatch();
        var lastA = batch.AddSequence(a, 0, 0);
        var lastB = batch.AddSequence(b, 0, 1);
        var hook = new PlanHook(_model.LayerCount, _model.EmbeddingSize);
        hook.Prepare(batch, new Dictionary<int, SequenceSteering> { [0] = new(plan, a.Length) });
        lease.Decode(batch, hook);
        var steeredA = lease.Logits(lastA).ToArray();
        var mixedB = lease.Logits(lastB).ToArray();

        lease.ClearMemory();
        batch.Clear();
        var aloneB = batch.AddSequence(b, 0, 0);
        lease.Decode(batch);
        var plainB = lease.Logits(aloneB).ToArray();
        lease.ClearMemory();
        batch.Clear();
        var aloneA = batch.AddSequence(a, 0, 0);
        lease.Decode(batch);
        var plainA = lease.Logits(aloneA).ToArray();

        Assert.That(MaxDiff(mixedB, plainB), Is.LessThan(1e-5f), "the unsteered sequence was affected by its neighbour's plan");
        Assert.That(MaxDiff(steeredA, plainA), Is.GreaterThan(1e-2f), "the steered sequence was not steered");
    }

    private float[] LayerRowsAfter(SteeringPlan plan, int[] tokens, int layer, int promptLength) =>
        PlanObserver.LayerRowsAfter(_model, plan, tokens, layer, promptLength);

    [Test]
    public void AblateRemovesTheProjection()
    {
        var tokens = Tokens("Lily was happy and she played");
        var plan = new SteeringPlan([new SteeringTerm(_vector, 0f, LayerSet.Of([2]), SteeringOperator.Ablate)]);
        var rows = LayerRowsAfter(plan, tokens, 2, tokens.Length);
        var unit = _vector.Direction(2).ToArray();
        TensorPrimitives.Divide(unit, TensorPrimitives.Norm(unit), unit);
        var plain = LayerRowsAfter(SteeringPlan.None, tokens, 2, tokens.Length);
        for (var r = 0; r < tokens.Length; r++)
        {
            var h = rows.AsSpan(r * _model.EmbeddingSize, _model.EmbeddingSize);
            Assert.That(Math.Abs(TensorPrimitives.Dot(h, unit)), Is.LessThan(1e-4f), $"row {r}");
            Assert.That(Math.Abs(TensorPrimitives.Dot(plain.AsSpan(r * _model.EmbeddingSize, _model.EmbeddingSize), unit)), Is.GreaterThan(1e-3f), "nothing to remove: the test would be vacuous");
        }
    }

    [Test]
    public void AblateRemovesTheProjectionOnEveryLayerOfTheTerm()
    {
        var tokens = Tokens("Lily was happy and she played");
        var plan = new SteeringPlan([new SteeringTerm(_vector, 0f, LayerSet.Range(1, 3), SteeringOperator.Ablate)]);
        foreach (var layer in new[] { 1, 3 })
        {
            var rows = LayerRowsAfter(plan, tokens, layer, tokens.Length);
            var unit = _vector.Direction(layer).ToArray();
            TensorPrimitives.Divide(unit, TensorPrimitives.Norm(unit), unit);
            for (var r = 0; r < tokens.Length; r++)
                Assert.That(Math.Abs(TensorPrimitives.Dot(rows.AsSpan(r * _model.EmbeddingSize, _model.EmbeddingSize), unit)), Is.LessThan(1e-4f), $"layer {layer}, row {r}");
        }
    }

    /// <summary>The last layer's l_out holds only the rows that produce logits: in a batch, each sequence's plan must reach its own.</summary>
    [Test]
    public void PlansOnTheLastLayerSteerEachSequencesOutputRowInABatch()
    {
        var last = _model.LayerCount - 1;
        string[] prompts = ["Once upon a time, there was a", "Tim went to the park and saw a", "The little dog was"];
        SteeringPlan[] plans =
        [
            new([new SteeringTerm(_vector, 2f, LayerSet.Of([last]))]),
            SteeringPlan.None,
            new([new SteeringTerm(_vector.Scale(-1), 3f, LayerSet.Of([last - 1, last]))]),
        ];
        float[] Alone(int i)
        {
            using var one = Context(1);
            using var l = one.Acquire();
            var b = new TokenBatch();
            var t = Tokens(prompts[i]);
            var at = b.AddSequence(t, 0, 0);
            var h = new PlanHook(_model.LayerCount, _model.EmbeddingSize);
            h.Prepare(b, new Dictionary<int, SequenceSteering> { [0] = new(plans[i], t.Length) });
            l.Decode(b, h);
            return l.Logits(at).ToArray();
        }
        using var ctx = Context(3);
        using var lease = ctx.Acquire();
        var batch = new TokenBatch();
        var outputs = new int[3];
        var steering = new Dictionary<int, SequenceSteering>();
        for (var i = 0; i < 3; i++)
        {
            var t = Tokens(prompts[i]);
            outputs[i] = batch.AddSequence(t, 0, i);
            steering[i] = new(plans[i], t.Length);
        }
        var hook = new PlanHook(_model.LayerCount, _model.EmbeddingSize);
        hook.Prepare(batch, steering);
        lease.Decode(batch, hook);
        for (var i = 0; i < 3; i++)
            Assert.That(MaxDiff(lease.Logits(outputs[i]), Alone(i)), Is.LessThan(1e-4f), $"sequence {i}");
        using var plain = Context(1);
        using var plainLease = plain.Acquire();
        var p = new TokenBatch();
        var o = p.AddSequence(Tokens(prompts[0]), 0, 0);
        plainLease.Decode(p);
        Assert.That(MaxDiff(plainLease.Logits(o), Alone(0)), Is.GreaterThan(1e-2f), "the last layer's plan changed nothing");
    }

    /// <summary>A hook has work only for the batch it last prepared: after a batch without plans, decoding skips the callback.</summary>
    [Test]
    public void AHookHasWorkOnlyForTheBatchItLastPrepared()
    {
        var tokens = Tokens("Once upon a time");
        var batch = new TokenBatch();
        batch.AddSequence(tokens, 0, 0);
        var hook = new PlanHook(_model.LayerCount, _model.EmbeddingSize);
        Assert.That(hook.HasWork, Is.False);
        hook.Prepare(batch, new Dictionary<int, SequenceSteering> { [0] = new(new SteeringPlan([new SteeringTerm(_vector, 1f, LayerSet.Of([2]))]), tokens.Length) });
        Assert.That(hook.HasWork, Is.True);
        hook.Prepare(batch, new Dictionary<int, SequenceSteering>());
        Assert.That(hook.HasWork, Is.False, "the previous batch's layers were kept");
        hook.Prepare(batch, new Dictionary<int, SequenceSteering> { [0] = new(new SteeringPlan([new SteeringTerm(_vector, 1f, LayerSet.Of([2]), SteeringOperator.Add, TokenWindow.Generated)]), tokens.Length) });
        Assert.That(hook.HasWork, Is.False, "a window that holds none of the batch's tokens");
    }

    /// <summary>Plans are meant to be immutable, but one whose term list was changed after use must steer by its new terms.</summary>
    [Test]
    public void APlanWhoseTermsChangedIsCompiledAgain()
    {
        var tokens = Tokens("Tim had a big red ball");
        var terms = new List<SteeringTerm> { new(_vector, 0f, LayerSet.Of([2]), SteeringOperator.Ablate) };
        var plan = new SteeringPlan(terms);
        using var ctx = Context(1);
        using var lease = ctx.Acquire();
        var hook = new PlanHook(_model.LayerCount, _model.EmbeddingSize);
        float[] Run()
        {
            lease.ClearMemory();
            var b = new TokenBatch();
            var at = b.AddSequence(tokens, 0, 0);
            hook.Prepare(b, new Dictionary<int, SequenceSteering> { [0] = new(plan, tokens.Length) });
            lease.Decode(b, hook);
            return lease.Logits(at).ToArray();
        }
        var ablated = Run();
        var clamp = new SteeringTerm(_vector, 2.5f, LayerSet.Of([3]), SteeringOperator.Clamp);
        terms[0] = clamp;
        var clamped = Run();
        var add = new SteeringTerm(_vector, 1f, LayerSet.Of([1]));
        terms.Add(add);
        var clampedAndAdded = Run();
        // The same terms in plans made fresh.
        plan = new SteeringPlan([clamp]);
        var freshClamped = Run();
        plan = new SteeringPlan([clamp, add]);
        var freshBoth = Run();
        Assert.That(MaxDiff(ablated, clamped), Is.GreaterThan(1e-3f), "the changed term was not used");
        Assert.That(MaxDiff(clamped, freshClamped), Is.LessThan(1e-5f));
        Assert.That(MaxDiff(clampedAndAdded, freshBoth), Is.LessThan(1e-5f));
        Assert.That(MaxDiff(clamped, clampedAndAdded), Is.GreaterThan(1e-3f), "the added term was not used");
    }

    [TestCase(2.5f)]
    [TestCase(-1f)]
    public void ClampSetsTheProjection(float target)
    {
        var tokens = Tokens("Tim had a big red ball");
        var plan = new SteeringPlan([new SteeringTerm(_vector, target, LayerSet.Of([3]), SteeringOperator.Clamp)]);
        var rows = LayerRowsAfter(plan, tokens, 3, tokens.Length);
        var unit = _vector.Direction(3).ToArray();
        TensorPrimitives.Divide(unit, TensorPrimitives.Norm(unit), unit);
        for (var r = 0; r < tokens.Length; r++)
            Assert.That(TensorPrimitives.Dot(rows.AsSpan(r * _model.EmbeddingSize, _model.EmbeddingSize), unit), Is.EqualTo(target).Within(1e-4f), $"row {r}");
    }

    [Test]
    public void PromptOnlyWindowAddsNothingAtGeneratedPositions()
    {
        var prompt = Tokens("Once upon a time, there was a little");
        var next = _model.Tokenize("girl", addSpecial: false)[0];
        var all = prompt.Append(next).ToArray(); // the last token plays the generated one
        const int layer = 2;
        var plan = new SteeringPlan([new SteeringTerm(_vector, 3f, LayerSet.Of([layer]), SteeringOperator.Add, TokenWindow.Prompt)]);
        var steered = LayerRowsAfter(plan, all, layer, prompt.Length);
        var plain = LayerRowsAfter(SteeringPlan.None, all, layer, prompt.Length);
        var embd = _model.EmbeddingSize;
        var generatedRow = prompt.Length;
        Assert.That(MaxDiff(steered.AsSpan(generatedRow * embd, embd), plain.AsSpan(generatedRow * embd, embd)), Is.LessThan(1e-5f), "the generated token was steered at the steered layer");
        Assert.That(MaxDiff(steered.AsSpan(0, embd), plain.AsSpan(0, embd)), Is.GreaterThan(1e-2f), "the prompt was not steered");
        // A later layer legitimately differs at the generated token: it attends to the steered prompt.
        var later = LayerRowsAfter(plan, all, layer + 1, prompt.Length);
        var laterPlain = LayerRowsAfter(SteeringPlan.None, all, layer + 1, prompt.Length);
        Assert.That(MaxDiff(later.AsSpan(generatedRow * embd, embd), laterPlain.AsSpan(generatedRow * embd, embd)), Is.GreaterThan(1e-4f));
    }

    [Test]
    public void StaticAddsThroughTheCallbackEqualTheControlVector()
    {
        var tokens = Tokens("Once upon a time, there was a");
        var layers = LayerSet.Range(1, 4);
        var plan = new SteeringPlan([new SteeringTerm(_vector, 0.7f, layers), new SteeringTerm(_vector.Scale(-0.5f), 1f, LayerSet.Of([2]))]);
        using var ctx = Context(1);
        using var lease = ctx.Acquire();
        var batch = new TokenBatch();
        var last = batch.AddSequence(tokens, 0, 0);
        var hook = new PlanHook(_model.LayerCount, _model.EmbeddingSize);
        hook.Prepare(batch, new Dictionary<int, SequenceSteering> { [0] = new(plan, tokens.Length) });
        lease.Decode(batch, hook);
        var viaCallback = lease.Logits(last).ToArray();

        lease.ClearMemory();
        var buffer = ControlVectorAdapter.Build(plan.Terms.Select(t => new VectorTerm(t.Vector, t.Strength, t.Layers)).ToList(), _model.EmbeddingSize, _model.LayerCount);
        lease.SetControlVector(buffer.Data, buffer.FirstLayer, buffer.LastLayer);
        lease.Decode(batch);
        var viaCvec = lease.Logits(last).ToArray();
        lease.SetControlVector([], -1, -1);

        Assert.That(plan.IsStaticAdd, Is.True);
        Assert.That(MaxDiff(viaCallback, viaCvec), Is.LessThan(1e-5f));
    }

    [Test]
    public void BatchedRequestsWithDifferentPlansEachMatchTheirSingleRun()
    {
        var greedy = new GenerationOptions { MaxTokens = 16, Sampling = SamplingOptions.Greedy };
        var requests = new[]
        {
            new GenerationRequest("Once upon a time", greedy),
            new GenerationRequest("Once upon a time", greedy with { Plan = new SteeringPlan([new SteeringTerm(_vector, 2f, LayerSet.Range(1, 3))]) }),
            new GenerationRequest("Tim went to the park", greedy with { Plan = new SteeringPlan([new SteeringTerm(_vector, 1.5f, LayerSet.Of([0]), SteeringOperator.Add, TokenWindow.Generated)]) }),
            new GenerationRequest("The little dog", greedy with { Plan = new SteeringPlan([new SteeringTerm(_vector, 0f, LayerSet.Of([2]), SteeringOperator.Ablate)]), MaxTokens = 7 }),
        };
        using var ctx = Context(4);
        var batched = new BatchedGenerator(ctx).Generate(requests);
        var gen = new TextGenerator(ctx);
        for (var i = 0; i < requests.Length; i++)
            Assert.That(batched[i].Text, Is.EqualTo(gen.Generate(requests[i].Prompt, requests[i].Options).Text), $"request {i}");
        Assert.That(batched[1].Text, Is.Not.EqualTo(batched[0].Text), "the plan changed nothing");
        Assert.That(batched[3].Tokens, Has.Count.EqualTo(7));
    }

    [Test]
    public void InvalidPlansAreRefusedBeforeDecoding()
    {
        using var ctx = Context(1);
        var gen = new TextGenerator(ctx);
        var o = new GenerationOptions { MaxTokens = 4, Sampling = SamplingOptions.Greedy };
        string Fails(SteeringPlan p) => Assert.Throws<ArgumentException>(() => gen.Generate("Once", o with { Plan = p }))!.Message;
        Assert.Multiple(() =>
        {
            Assert.That(Fails(new([new SteeringTerm(_vector, float.NaN)])), Does.Contain("not a finite number"));
            Assert.That(Fails(new([new SteeringTerm(_vector, 1f, LayerSet.Of([9]))])), Does.Contain("outside the model"));
            Assert.That(Fails(new([new SteeringTerm(_vector, 1f, null, SteeringOperator.Add, TokenWindow.At((300, 310)))])), Does.Contain("beyond the context"));
            Assert.That(Fails(new([new SteeringTerm(_vector, 1f, LayerSet.Of([2])), new SteeringTerm(_vector, 1f, LayerSet.Of([2]), SteeringOperator.Clamp)])), Does.Contain("Conflicting terms"));
            var other = new SteeringVector(32, new Dictionary<int, float[]> { [1] = new float[32] });
            Assert.That(Fails(new([new SteeringTerm(other, 1f)])), Does.Contain("another model"));
        });
        using var plain = _model.CreateContext(new ContextOptions { Threads = 1 });
        Assert.That(Assert.Throws<ArgumentException>(() => new TextGenerator(plain).Generate("Once", o with { Plan = new([new SteeringTerm(_vector, 1f, LayerSet.Of([2]), SteeringOperator.Ablate)]) }))!.Message,
            Does.Contain("EnableGraphHooks"));
    }
}
