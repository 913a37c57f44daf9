using LlamaSteer.Steering;
using LlamaSteer.Vectors;
using static LlamaSteer.Core.Tests.Steering.HandMadeVectors;

namespace LlamaSteer.Core.Tests.Steering;

/// <summary>
/// Gram-Schmidt composition on small hand-made vectors whose orthogonalised form is known exactly: layer filters,
/// zero directions, the refusal of a vector that lies along earlier ones at any scale, three vectors, what the result
/// records, and the cosine of a zero direction. InterferenceTests cover the same code on trained vectors and the model.
/// </summary>
[TestFixture]
public class CompositionContractTests
{

    private static float[] On(ComposedVector v, int layer) => v.Vector.Direction(layer).ToArray();

    [Test]
    public void ThreeVectorsComeOutPairwiseOrthogonalInTheirOrder()
    {
        var parts = new[]
        {
            new ComposedVector("a", Vector((1, [2, 0, 0])), 1),
            new ComposedVector("b", new SteeringVector(3, new Dictionary<int, float[]> { [1] = [1, 1, 0] }, "llama",
                new VectorProvenance { Calibration = new Dictionary<int, LayerCalibration> { [1] = new(1f, -1f, 0.5f) } }), 1),
            new ComposedVector("c", Vector((1, [1, 1, 1])), 1),
        };

        var kept = Composition.Orthogonalise(parts, keepNorms: true);
        var residual = Composition.Orthogonalise(parts, keepNorms: false);

        Assert.Multiple(() =>
        {
            Assert.That(On(kept[0], 1), Is.EqualTo(new[] { 2f, 0, 0 }));
            Assert.That(On(kept[1], 1), Is.EqualTo(new[] { 0, MathF.Sqrt(2), 0 }).Within(1e-6), "b's norm √2 along e1");
            Assert.That(On(kept[2], 1), Is.EqualTo(new[] { 0, 0, MathF.Sqrt(3) }).Within(1e-6), "c loses its parts along a and b");
            Assert.That(On(residual[1], 1), Is.EqualTo(new[] { 0f, 1, 0 }).Within(1e-6));
            Assert.That(On(residual[2], 1), Is.EqualTo(new[] { 0f, 0, 1 }).Within(1e-6));
            Assert.That(kept[2].Vector.Provenance.Options, Is.EqualTo("orthogonalised (Gram-Schmidt, norms kept) after a, b"));
            Assert.That(residual[1].Vector.Provenance.Options, Is.EqualTo("orthogonalised (Gram-Schmidt, residual norms) after a"));
            Assert.That(kept[1].Vector.Provenance.Calibration, Is.Empty, "a calibration measured along the old direction no longer holds");
        });
    }

    [Test]
    public void LayersAVectorDoesNotSteerAreLeftAsTheyAreAndDoNotCount()
    {
        // b has layers 1 and 2 but steers only layer 2; on layer 1 it stays as it was, and it does not take part on layer 1.
        var a = new ComposedVector("a", Vector((1, [1, 0, 0]), (2, [1, 0, 0])), 1);
        var b = new ComposedVector("b", Vector((1, [1, 1, 0]), (2, [1, 1, 0])), 1, LayerSet.Of([2]));
        var c = new ComposedVector("c", Vector((1, [0, 1, 1])), 1);

        var o = Composition.Orthogonalise([a, b, c], keepNorms: false);

        Assert.Multiple(() =>
        {
            Assert.That(b.EffectiveLayers, Is.EqualTo(new[] { 2 }));
            Assert.That(On(o[1], 1), Is.EqualTo(new[] { 1f, 1, 0 }), "not steered there: unchanged");
            Assert.That(On(o[1], 2), Is.EqualTo(new[] { 0f, 1, 0 }).Within(1e-6));
            Assert.That(On(o[2], 1), Is.EqualTo(new[] { 0f, 1, 1 }).Within(1e-6), "c is orthogonal to a on layer 1, and b does not steer it");
            Assert.That(o[1].Layers, Is.EqualTo(LayerSet.Of([2])));
        });
    }

    [Test]
    public void AZeroDirectionStaysZeroAndSpansNothing()
    {
        var zero = new ComposedVector("zero", Vector((1, [0, 0, 0])), 1);
        var b = new ComposedVector("b", Vector((1, [3, 4, 0])), 1);

        var o = Composition.Orthogonalise([zero, b]);

        Assert.That(On(o[0], 1), Is.EqualTo(new[] { 0f, 0, 0 }));
        Assert.That(On(o[1], 1), Is.EqualTo(new[] { 3f, 4, 0 }).Within(1e-6));
    }

    [TestCase(1f)]
    [TestCase(1e4f)]
    [TestCase(1e-3f)]
    public void AVectorAlongEarlierOnesIsRefusedAtAnyScale(float scale)
    {
        // b is a up to one part in ten million: nothing is left to steer with, whatever the vectors' length.
        var a = new ComposedVector("a", Vector((1, [scale, 0, 0])), 1);
        var b = new ComposedVector("b", Vector((1, [scale, scale * 1e-7f, 0])), 1);
        var c = new ComposedVector("c", Vector((1, [scale, scale * 1e-3f, 0])), 1);

        Assert.Multiple(() =>
        {
            Assert.That(() => Composition.Orthogonalise([a, b]), Throws.ArgumentException.With.Message.EqualTo(
                "b lies along the vectors before it on layer 1; orthogonalising leaves nothing of it. Drop it or put it first."));
            Assert.That(() => Composition.Orthogonalise([a, c]), Throws.Nothing, "one part in a thousand is still a direction");
        });
    }

    [Test]
    public void VectorsOfDifferentWidthsOrNoneAreRefused()
    {
        var narrow = new ComposedVector("narrow", Vector((1, [1, 0, 0])), 1);
        var wide = new ComposedVector("wide", new SteeringVector(4, new Dictionary<int, float[]> { [1] = [0, 1, 0, 0] }), 1);

        Assert.Multiple(() =>
        {
            Assert.That(() => Composition.Orthogonalise([narrow, wide]), Throws.ArgumentException.With.Message.EqualTo("wide has n_embd 4 but narrow has 3."));
            Assert.That(Composition.Orthogonalise([]), Is.Empty);
            Assert.That(() => Composition.Orthogonalise(null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("parts"));
            Assert.That(() => Composition.Plan(null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("parts"));
        });
    }

    [Test]
    public void APlanAddsEachPartAtItsWeightOnItsLayers()
    {
        var plan = Composition.Plan([
            new ComposedVector("a", Vector((1, [1, 0, 0])), 0.5f),
            new ComposedVector("b", Vector((1, [0, 1, 0]), (2, [0, 0, 1])), -2f, LayerSet.Of([2])),
        ]);

        Assert.That(plan.Terms.Select(t => (t.Name, t.Strength, t.Operator, string.Join(",", t.EffectiveLayers))),
            Is.EqualTo(new[] { ("a", 0.5f, SteeringOperator.Add, "1"), ("b", -2f, SteeringOperator.Add, "2") }));
    }

    [Test]
    public void TheCosineWithAZeroDirectionIsZero()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Composition.Cosine([0f, 0, 0], [1f, 2, 3]), Is.Zero);
            Assert.That(Composition.Cosine([1f, 2, 3], [0f, 0, 0]), Is.Zero);
            Assert.That(Composition.Cosine([1f, 0, 0], [1f, 1, 0]), Is.EqualTo(Math.Sqrt(0.5)).Within(1e-7));
        });
    }
}
