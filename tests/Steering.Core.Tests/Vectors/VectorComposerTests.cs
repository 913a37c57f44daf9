using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Vectors;

[TestFixture]
public class VectorComposerTests
{
    private static SteeringVector Random(int seed, int embd, int[] layers, string? hint = "llama", VectorProvenance? provenance = null)
    {
        var rng = new Random(seed);
        var dirs = layers.ToDictionary(l => l, _ => Enumerable.Range(0, embd).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray());
        return new SteeringVector(embd, dirs, hint, provenance);
    }

    private static float[] Values(SteeringVector v, int layer) => v.Direction(layer).ToArray();

    [Test]
    public void WeightedSumIsExactPerLayer()
    {
        var a = Random(1, 16, [1, 2, 3]);
        var b = Random(2, 16, [1, 2, 3]);

        var result = VectorComposer.Compose([(a, 0.8f), (b, -0.5f)], names: ["happy.gguf", "lily.gguf"]);

        Assert.That(result.Vector.Layers, Is.EqualTo(new[] { 1, 2, 3 }));
        foreach (var layer in a.Layers)
        {
            var expected = Values(a, layer).Zip(Values(b, layer), (x, y) => 0.8f * x + -0.5f * y).ToArray();
            Assert.That(Values(result.Vector, layer), Is.EqualTo(expected), $"layer {layer}");
        }
        Assert.That(result.Warnings, Is.Empty);
    }

    [Test]
    public void LayerMissingFromAnInputCountsAsZero()
    {
        var a = Random(1, 8, [1, 2]);
        var b = Random(2, 8, [2, 4]);

        var sum = VectorComposer.Add(a, b).Vector;

        Assert.That(sum.Layers, Is.EqualTo(new[] { 1, 2, 4 }));
        Assert.That(Values(sum, 1), Is.EqualTo(Values(a, 1)));
        Assert.That(Values(sum, 4), Is.EqualTo(Values(b, 4)));
        Assert.That(Values(sum, 2), Is.EqualTo(Values(a, 2).Zip(Values(b, 2), (x, y) => x + y).ToArray()));
    }

    [Test]
    public void LayerFilterKeepsOnlyThoseLayersAndWarnsAboutAbsentOnes()
    {
        var a = Random(1, 8, [1, 2, 3, 4]);

        var result = VectorComposer.Compose([(a, 2f)], LayerSet.Parse("2-3,6", 8));

        Assert.That(result.Vector.Layers, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(Values(result.Vector, 3), Is.EqualTo(Values(a, 3).Select(x => 2f * x).ToArray()));
        Assert.That(result.Warnings, Has.One.Contains("layer(s) 6"));
        Assert.That(() => VectorComposer.Compose([(a, 1f)], LayerSet.Of([5, 6])), Throws.ArgumentException.With.Message.Contains("5-6"));
    }

    [Test]
    public void DifferentWidthsAreAnErrorNamingTheInput()
    {
        var a = Random(1, 64, [1]);
        var b = Random(2, 32, [1]);

        Assert.That(() => VectorComposer.Compose([(a, 1f), (b, 1f)], names: ["wide.gguf", "narrow.gguf"]),
            Throws.ArgumentException.With.Message.StartsWith("narrow.gguf has n_embd 32 but wide.gguf has 64"));
        Assert.That(() => VectorComposer.Add(a, b), Throws.ArgumentException.With.Message.Contains("#2"));
    }

    [Test]
    public void DifferentModelHintsWarnButCompose()
    {
        var a = Random(1, 8, [1], "llama");
        var b = Random(2, 8, [1], "qwen2");

        var result = VectorComposer.Add(a, b, "a.gguf", "b.gguf");

        Assert.That(result.Warnings, Has.One.Contains("b.gguf").And.Contains("qwen2").And.Contains("llama"));
        Assert.That(result.Vector.ModelHint, Is.EqualTo("llama"));
    }

    [Test]
    public void NegateTwiceIsTheIdentity()
    {
        var calibration = new Dictionary<int, LayerCalibration> { [2] = new(1.5f, -0.5f, 0.25f) };
        var v = Random(3, 16, [1, 2], provenance: new VectorProvenance { Method = "mean", DatasetName = "happy-sad", Calibration = calibration });

        var once = VectorComposer.Negate(v, "v.gguf");
        var twice = VectorComposer.Negate(once);

        foreach (var layer in v.Layers)
        {
            Assert.That(Values(once, layer), Is.EqualTo(Values(v, layer).Select(x => -x).ToArray()));
            Assert.That(Values(twice, layer), Is.EqualTo(Values(v, layer)));
        }
        Assert.That(once.Provenance.Calibration[2], Is.EqualTo(new LayerCalibration(-1.5f, 0.5f, 0.25f)), "mirrored along the flipped direction");
        Assert.That(twice.Provenance.Calibration[2], Is.EqualTo(calibration[2]));
        Assert.That(twice.Provenance.Calibration[2].Separation, Is.EqualTo(calibration[2].Separation));
    }

    [Test]
    public void ProvenanceRecordsTheOperationAndDropsCalibrationOfSums()
    {
        var calibration = new Dictionary<int, LayerCalibration> { [1] = new(1f, -1f, 0.5f) };
        var a = Random(1, 8, [1], provenance: new VectorProvenance { Method = "mean", DatasetName = "happy-sad", ModelFile = "m.gguf", CreatedUtc = "2026-01-01T00:00:00Z", Calibration = calibration });
        var b = Random(2, 8, [1], provenance: new VectorProvenance { Method = "pca-diff", DatasetName = "lily", ModelFile = "m.gguf", Calibration = calibration });

        var composed = VectorComposer.Compose([(a, 0.8f), (b, -0.5f)], LayerSet.Of([1]), ["happy.gguf", "lily.gguf"]).Vector.Provenance;
        var scaled = VectorComposer.Scale(a, 2.5f, "happy.gguf").Provenance;

        Assert.That(composed.Method, Is.EqualTo("compose"));
        Assert.That(composed.Options, Is.EqualTo("0.8*happy.gguf + -0.5*lily.gguf on layers 1"));
        Assert.That(composed.Calibration, Is.Empty);
        Assert.That(composed.DatasetName, Is.Null, "the inputs disagree");
        Assert.That(composed.ModelFile, Is.EqualTo("m.gguf"), "the inputs agree");
        Assert.That(scaled.Method, Is.EqualTo("scale"));
        Assert.That(scaled.Options, Is.EqualTo("2.5*happy.gguf"));
        Assert.That(scaled.DatasetName, Is.EqualTo("happy-sad"));
        Assert.That(scaled.CreatedUtc, Is.Null);
        Assert.That(scaled.Calibration[1], Is.EqualTo(calibration[1]), "a positive factor keeps the unit direction");
    }

    [Test]
    public void ScaleMultipliesEveryValue()
    {
        var v = Random(4, 16, [1, 3]);

        var doubled = VectorComposer.Scale(v, 2f);

        foreach (var layer in v.Layers)
            Assert.That(Values(doubled, layer), Is.EqualTo(Values(v, layer).Select(x => 2f * x).ToArray()));
        Assert.That(doubled.ModelHint, Is.EqualTo(v.ModelHint));
    }

    [Test]
    public void BadWeightsAndCancellingTermsAreErrors()
    {
        var v = Random(5, 8, [1, 2]);

        Assert.Multiple(() =>
        {
            Assert.That(() => VectorComposer.Scale(v, float.NaN), Throws.ArgumentException.With.Message.Contains("NaN"));
            Assert.That(() => VectorComposer.Scale(v, 0), Throws.ArgumentException.With.Message.Contains("zero vector"));
            Assert.That(() => VectorComposer.Compose([(v, float.PositiveInfinity)], names: ["v.gguf"]), Throws.ArgumentException.With.Message.Contains("v.gguf"));
            Assert.That(() => VectorComposer.Compose([(v, 1f), (v, -1f)]), Throws.ArgumentException.With.Message.Contains("cancel"));
            Assert.That(() => VectorComposer.Compose([]), Throws.ArgumentException);
        });
    }
}
