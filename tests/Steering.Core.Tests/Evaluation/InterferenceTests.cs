using System.Globalization;
using LlamaSteer.Evaluation;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Evaluation;

/// <summary>Composition of the girl/boy and mood vectors on stories260K: cosines, orthogonalisation and how much of each effect survives.</summary>
[TestFixture]
public class InterferenceTests
{
    private LlamaModel _model = null!;
    private SteeringVector _girlBoy = null!;
    private SteeringVector _mood = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _model = SharedModel.Model;
        _girlBoy = SharedModel.Vector("tinystories-girl-boy");
        _mood = SharedModel.Vector("tinystories-happy-sad");
    }


    private IReadOnlyList<ProbedVector> Pair(float weight = 1) =>
    [
        TrainedVectors.Probed(_model, "tinystories-girl-boy", _girlBoy, weight),
        TrainedVectors.Probed(_model, "tinystories-happy-sad", _mood, weight),
    ];

    private static void Print(InterferenceReport r)
    {
        var inv = CultureInfo.InvariantCulture;
        TestContext.Out.WriteLine($"orthogonalised: {r.Orthogonalised}");
        foreach (var c in r.Cosines.Zip(r.AppliedCosines))
            TestContext.Out.WriteLine(string.Create(inv, $"  layer {c.First.Layer}: cos {c.First.Cosine:F3} (applied {c.Second.Cosine:F3})"));
        foreach (var p in r.Parts)
            TestContext.Out.WriteLine(string.Create(inv, $"  {p.Name}: alone {p.AloneShift:F2}, applied alone {p.AppliedAloneShift:F2}, others {p.OthersShift:F2}, combined {p.CombinedShift:F2}, survival {p.Survival:P0}"));
    }

    [Test]
    public void AVectorComposedWithItselfHasCosineOne()
    {
        var part = new ComposedVector("mood", _mood, 1, TrainedVectors.Layers);
        var cosines = Interference.Cosines([part, part with { Name = "mood again", Weight = -2 }]);
        Assert.That(cosines.Select(c => c.Layer), Is.EqualTo(new[] { 1, 2, 3, 4 }));
        Assert.That(cosines.Select(c => c.Cosine), Has.All.EqualTo(1).Within(1e-6));
        // Orthogonalising a vector against itself leaves nothing: refused, naming the vector.
        Assert.That(() => Composition.Orthogonalise([part, part with { Name = "mood again" }]),
            Throws.ArgumentException.With.Message.Contains("mood again"));
    }

    [Test]
    public void CosinesAreThoseOfTheDirections()
    {
        var cosines = Interference.Cosines([new ComposedVector("a", _girlBoy, 1), new ComposedVector("b", _mood, 1)]);
        foreach (var c in cosines)
        {
            var a = _girlBoy.Direction(c.Layer).ToArray();
            var b = _mood.Direction(c.Layer).ToArray();
            var expected = a.Zip(b, (x, y) => (double)x * y).Sum() / Math.Sqrt(a.Sum(x => (double)x * x) * b.Sum(x => (double)x * x));
            Assert.That(c.Cosine, Is.EqualTo(expected).Within(1e-6), $"layer {c.Layer}");
        }
    }

    [TestCase(true)]
    [TestCase(false)]
    public void OrthogonalisedVectorsAreOrthogonalAndTheFirstIsUnchanged(bool keepNorms)
    {
        var parts = new[] { new ComposedVector("girl-boy", _girlBoy, 1), new ComposedVector("mood", _mood, 0.5f) };
        var o = Composition.Orthogonalise(parts, keepNorms);
        Assert.That(Interference.Cosines(o).Select(c => Math.Abs(c.Cosine)), Has.All.LessThan(1e-5));
        Assert.That(Interference.Cosines(parts).Select(c => Math.Abs(c.Cosine)), Has.Some.GreaterThan(0.05), "already orthogonal: the test would be vacuous");
        foreach (var layer in _girlBoy.Layers)
        {
            Assert.That(o[0].Vector.Direction(layer).ToArray(), Is.EqualTo(_girlBoy.Direction(layer).ToArray()));
            var norm = o[1].Vector.Norm(layer);
            if (keepNorms) Assert.That(norm, Is.EqualTo(_mood.Norm(layer)).Within(1e-4 * _mood.Norm(layer)));
            else Assert.That(norm, Is.LessThan(_mood.Norm(layer)));
        }
        Assert.That(o[1].Weight, Is.EqualTo(0.5f));
    }

    [Test]
    public void TheSurvivalOfEachEffectIsMeasuredFromTheEngine()
    {
        var plain = Interference.Measure(_model, Pair(), orthogonalise: false, threads: 1);
        var orth = Interference.Measure(_model, Pair(), orthogonalise: true, threads: 1);
        Print(plain);
        Print(orth);

        // The alone shift is ConceptEffect's measurement of the same vector at the same strength, minus strength 0.
        var gb = TrainedVectors.Probes["tinystories-girl-boy"];
        var probe = ProbeTokens.Resolve(_model, gb.Positive, gb.Negative);
        var sweep = ConceptEffect.Sweep(_model, _girlBoy, TrainedVectors.Layers, gb.Prompts, probe, [0f, 1f], threads: 1);
        Assert.That(plain.Parts[0].AloneShift, Is.EqualTo(sweep[1].MeanLogProbDifference - sweep[0].MeanLogProbDifference).Within(1e-3));
        Assert.That(plain.Parts[0].AppliedAloneShift, Is.EqualTo(plain.Parts[0].AloneShift).Within(1e-9), "nothing orthogonalised");

        // The acceptance bar: each vector keeps at least 80% of its own effect in the pair at weight 1.
        // Measured on stories260K: girl/boy about 90% (92% orthogonalised), mood about 94%; the cosines are
        // small (|cos| < 0.2), so most of the loss is not overlap but the model's non-linearity
        // (CombinedShift < AloneShift + OthersShift).
        foreach (var r in new[] { plain, orth })
            foreach (var p in r.Parts)
                Assert.That(p.Survival, Is.GreaterThan(0.8), $"{p.Name}, orthogonalised: {r.Orthogonalised}");
        // Orthogonalising in the order given leaves the first vector as it was.
        Assert.That(orth.Parts[0].AppliedAloneShift, Is.EqualTo(orth.Parts[0].AloneShift).Within(1e-9));
        Assert.That(orth.AppliedCosines.Select(c => Math.Abs(c.Cosine)), Has.All.LessThan(1e-5));
    }
}
