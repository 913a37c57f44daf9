using System.Numerics.Tensors;
using LlamaSteer.Datasets;
using LlamaSteer.Generation;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Steering;

/// <summary>Instruction-vector "adjust to target": each steered token's projection is set to the calibrated positive mean.</summary>
[TestFixture]
public class AdjustToTargetTests
{
    private LlamaModel _model = null!;
    private SteeringVector _vector = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _model = SharedModel.Model;
        _vector = SharedModel.Vector("tinystories-happy-sad");
    }


    [Test]
    public void OneClampTermPerLayerAtThePositiveMean()
    {
        var terms = SteeringTerms.AdjustToTarget(_vector, LayerSet.Range(2, 3), TokenWindow.Generated, "happy");
        Assert.That(terms.Select(t => t.Layers!.Layers.Single()), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(terms.Select(t => t.Operator), Is.All.EqualTo(SteeringOperator.Clamp));
        Assert.That(terms.Select(t => t.Window), Is.All.EqualTo(TokenWindow.Generated));
        Assert.That(terms.Select(t => t.Strength), Is.EqualTo(new[] { _vector.Provenance.Calibration[2].PositiveMean, _vector.Provenance.Calibration[3].PositiveMean }));
        Assert.That(terms.Select(t => t.Name), Is.EqualTo(new[] { "happy@2", "happy@3" }));
        Assert.That(SteeringTerms.AdjustToTarget(_vector), Has.Count.EqualTo(4));
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(4)]
    public void SetsEachTokensProjectionToThePositiveMean(int layer)
    {
        var tokens = _model.Tokenize("Tim sat on the floor. He looked at his toys and felt");
        var plan = new SteeringPlan(SteeringTerms.AdjustToTarget(_vector)).Validate(_model.EmbeddingSize, _model.LayerCount, 256);
        var rows = PlanObserver.LayerRowsAfter(_model, plan, tokens, layer, tokens.Length);
        var plain = PlanObserver.LayerRowsAfter(_model, SteeringPlan.None, tokens, layer, tokens.Length);
        var unit = _vector.Direction(layer).ToArray();
        TensorPrimitives.Divide(unit, TensorPrimitives.Norm(unit), unit);
        var target = _vector.Provenance.Calibration[layer].PositiveMean;
        var embd = _model.EmbeddingSize;
        // The last layer's l_out holds only the rows that produce output (here the last token).
        var count = rows.Length / embd;
        Assert.That(count, Is.EqualTo(layer == _model.LayerCount - 1 ? 1 : tokens.Length));
        for (var r = 0; r < count; r++)
            Assert.That(TensorPrimitives.Dot(rows.AsSpan(r * embd, embd), unit), Is.EqualTo(target).Within(1e-3f * Math.Max(1, Math.Abs(target))), $"row {r}");
        var before = Enumerable.Range(0, count).Max(r => Math.Abs(TensorPrimitives.Dot(plain.AsSpan(r * embd, embd), unit) - target));
        Assert.That(before, Is.GreaterThan(0.1f), "the rows were already at the target: the test would be vacuous");
    }

    [Test]
    public void MovesTheNextWordTowardsThePositiveSide()
    {
        // After a sad cue, the happy-side target pulls the next word from " sad" towards " happy".
        using var ctx = _model.CreateContext(new ContextOptions { Threads = 1, EnableGraphHooks = true, ContextSize = 128 });
        var tokens = _model.Tokenize("Lily lost her doll and cried. She was very");
        var happy = _model.Tokenize("happy", addSpecial: false)[0];
        var sad = _model.Tokenize("sad", addSpecial: false)[0];
        double Odds(SteeringPlan plan)
        {
            using var lease = ctx.Acquire();
            lease.ClearMemory();
            var batch = new TokenBatch();
            var last = batch.AddSequence(tokens, 0, 0);
            var hook = new PlanHook(_model.LayerCount, _model.EmbeddingSize);
            hook.Prepare(batch, new Dictionary<int, SequenceSteering> { [0] = new(plan, tokens.Length) });
            lease.Decode(batch, hook.HasWork ? hook : null);
            var logits = lease.Logits(last);
            return logits[happy] - logits[sad];
        }
        var plain = Odds(SteeringPlan.None);
        var adjusted = Odds(new SteeringPlan(SteeringTerms.AdjustToTarget(_vector)));
        TestContext.Out.WriteLine($"log-odds happy vs sad: {plain:F2} unsteered, {adjusted:F2} adjusted to target");
        Assert.That(adjusted, Is.GreaterThan(plain + 0.5));
    }

    [Test]
    public void AVectorWithoutCalibrationIsRefused()
    {
        var bare = new SteeringVector(_model.EmbeddingSize, new Dictionary<int, float[]> { [2] = Enumerable.Repeat(1f, _model.EmbeddingSize).ToArray() });
        Assert.That(() => SteeringTerms.AdjustToTarget(bare, name: "bare.gguf"),
            Throws.ArgumentException.With.Message.Contains("bare.gguf has no calibration for layer(s) 2").And.Message.Contains("it has none"));

        var partial = new SteeringVector(_vector.EmbeddingSize, _vector.Layers.ToDictionary(l => l, l => _vector.Direction(l).ToArray()), "llama",
            _vector.Provenance with { Calibration = _vector.Provenance.Calibration.Where(c => c.Key != 3).ToDictionary() });
        Assert.That(() => SteeringTerms.AdjustToTarget(partial),
            Throws.ArgumentException.With.Message.Contains("layer(s) 3").And.Message.Contains("calibration for layers 1-2,4"));
        Assert.That(SteeringTerms.AdjustToTarget(partial, LayerSet.Of([1, 4])), Has.Count.EqualTo(2), "layers left out need no calibration");
        Assert.That(() => SteeringTerms.AdjustToTarget(_vector, LayerSet.Of([0])), Throws.ArgumentException.With.Message.Contains("no direction"));
    }

    [Test]
    public void GeneratesThroughTextGenerator()
    {
        using var ctx = _model.CreateContext(new ContextOptions { Threads = 1, EnableGraphHooks = true, ContextSize = 128 });
        var gen = new TextGenerator(ctx);
        var greedy = new GenerationOptions { MaxTokens = 20, Sampling = SamplingOptions.Greedy };
        const string prompt = "Lily lost her doll and cried. She was very";
        var plain = gen.Generate(prompt, greedy);
        var adjusted = gen.Generate(prompt, greedy with { Plan = new SteeringPlan(SteeringTerms.AdjustToTarget(_vector, window: TokenWindow.Generated)) });
        TestContext.Out.WriteLine($"unsteered: {plain.Text}\nadjusted:  {adjusted.Text}");
        Assert.That(adjusted.Text, Is.Not.EqualTo(plain.Text));
    }
}
