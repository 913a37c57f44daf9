using System.Numerics.Tensors;
using LlamaSteer.Capture;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;
using LlamaSteer.Vectors.Extraction;

namespace LlamaSteer.Core.Tests.Vectors;

/// <summary>
/// Sign fixing: every method's direction points from the negatives to the positives, so swapping the two sides negates the
/// vector. A principal direction's sign is the eigen-solver's choice, so the hand-made sets are made so that the raw
/// principal direction of several of them points the wrong way (checked, with the raw direction computed before any sign
/// fixing, by a test of its own), and extraction must turn each of those round.
/// </summary>
[TestFixture]
public class ExtractionSignTests
{
    private static readonly ExtractionMethod[] Methods = Enum.GetValues<ExtractionMethod>();

    // Same sentence about a girl (positive) and a boy (negative).
    private static readonly (string Girl, string Boy)[] Pairs =
    [
        ("Lily went to the park and she played", "Tim went to the park and he played"),
        ("The girl had a doll. She loved her doll", "The boy had a truck. He loved his truck"),
        ("Sue was a little girl who liked to sing", "Ben was a little boy who liked to sing"),
        ("Mom gave Lily a hug and she smiled", "Mom gave Tim a hug and he smiled"),
        ("The princess wore a pretty dress", "The prince wore a big hat"),
        ("Mia found a shiny stone. She kept it", "Tom found a shiny stone. He kept it"),
    ];

    private CapturedActivations _girls = null!, _boys = null!;

    [OneTimeSetUp]
    public void Capture()
    {
        var model = SharedModel.Model;
        using var capturer = new ActivationCapturer(model, 1);
        _girls = capturer.Capture(Pairs.Select(p => new CaptureItem(model.Tokenize(p.Girl), 1)).ToArray(), SharedModel.Layers, CapturePositions.CompletionMean);
        _boys = capturer.Capture(Pairs.Select(p => new CaptureItem(model.Tokenize(p.Boy), 1)).ToArray(), SharedModel.Layers, CapturePositions.CompletionMean);
    }

    /// <summary>
    /// Hand-made pairs in 8 dimensions: a shared random part per pair, and the positive moved along a fixed direction by a
    /// varying amount (so the differences are not all equal and the probe has something to fit).
    /// </summary>
    private static (CapturedActivations Positive, CapturedActivations Negative) HandMade(int seed)
    {
        const int embd = 8, pairs = 6, layer = 1;
        var rng = new Random(seed);
        var along = Enumerable.Range(0, embd).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var across = Enumerable.Range(0, embd).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var pos = new float[pairs * embd];
        var neg = new float[pairs * embd];
        for (var i = 0; i < pairs; i++)
        {
            // Mostly positive amounts along the concept, and a larger part across it that varies in sign from pair to pair.
            var amount = (float)(rng.NextDouble() * 4 - 1);
            var spread = (float)(rng.NextDouble() * 6 - 3);
            for (var k = 0; k < embd; k++)
            {
                var shared = (float)(rng.NextDouble() * 2 - 1);
                neg[i * embd + k] = shared + 0.05f * (float)(rng.NextDouble() - 0.5);
                pos[i * embd + k] = shared + amount * along[k] + spread * across[k];
            }
        }
        var layers = LayerSet.Of([layer]);
        var rows = Enumerable.Range(0, pairs).ToArray();
        return (new CapturedActivations(layers, embd, rows, new() { [layer] = pos }, CapturePositions.LastToken),
                new CapturedActivations(layers, embd, rows, new() { [layer] = neg }, CapturePositions.LastToken));
    }

    private static float[] MeanDifference(CapturedActivations positive, CapturedActivations negative, int layer)
    {
        var d = new float[positive.EmbeddingSize];
        for (var r = 0; r < positive.RowCount; r++) TensorPrimitives.Add(d, positive.Row(layer, r), d);
        TensorPrimitives.Divide(d, positive.RowCount, d);
        for (var r = 0; r < negative.RowCount; r++) TensorPrimitives.MultiplyAdd(negative.Row(layer, r), -1f / negative.RowCount, d, d);
        return d;
    }

    /// <summary>Both orientations of one data set: the direction points towards the side called positive, and swapping negates it.</summary>
    private static void AssertOrientedBothWays(CapturedActivations a, CapturedActivations b, ExtractionMethod method, VectorScaling scaling)
    {
        var options = new ExtractionOptions { Method = method, Scaling = scaling };
        var forward = VectorExtractor.Extract(a, b, options);
        var backward = VectorExtractor.Extract(b, a, options);
        foreach (var (f, g) in forward.Zip(backward))
        {
            var label = $"{method.Name()}, {scaling}, layer {f.Layer}";
            Assert.That(TensorPrimitives.Dot(f.Direction, MeanDifference(a, b, f.Layer)), Is.GreaterThan(0), $"{label}: points away from the positives");
            Assert.That(TensorPrimitives.Dot(g.Direction, MeanDifference(b, a, g.Layer)), Is.GreaterThan(0), $"{label}, sides swapped: points away from the positives");
            Assert.That(f.Calibration.PositiveMean, Is.GreaterThan(f.Calibration.NegativeMean), label);
            Assert.That(g.Calibration.PositiveMean, Is.GreaterThan(g.Calibration.NegativeMean), $"{label}, sides swapped");
            var negated = g.Direction.Select(x => -x).ToArray();
            var tolerance = 1e-4f * TensorPrimitives.Norm(f.Direction);
            Assert.That(f.Direction, Is.EqualTo(negated).Within(tolerance), $"{label}: swapping the sides does not negate the vector");
            // The calibration swaps too: the new positives are the old negatives, measured on the negated direction.
            Assert.That(g.Calibration.PositiveMean, Is.EqualTo(-f.Calibration.NegativeMean).Within(1e-3f * Math.Max(1, Math.Abs(f.Calibration.NegativeMean))), label);
        }
    }

    [TestCaseSource(nameof(Methods))]
    public void SwappingTheSidesOfCapturedPairsNegatesTheVector(ExtractionMethod method)
    {
        AssertOrientedBothWays(_girls, _boys, method, VectorScaling.Unit);
        AssertOrientedBothWays(_girls, _boys, method, VectorScaling.Separation);
    }

    [TestCaseSource(nameof(Methods))]
    public void HandMadePairsAreOrientedWhicheverWayTheRawDirectionPoints(ExtractionMethod method)
    {
        foreach (var seed in Seeds)
        {
            var (positive, negative) = HandMade(seed);
            AssertOrientedBothWays(positive, negative, method, VectorScaling.Unit);
            AssertOrientedBothWays(positive, negative, method, VectorScaling.Raw);
        }
    }

    private static readonly int[] Seeds = Enumerable.Range(1, 12).ToArray();

    /// <summary>The raw principal directions of the hand-made sets, before any sign fixing: some must point the wrong way, or the test above proves nothing for PCA.</summary>
    [TestCase(ExtractionMethod.PcaDiff)]
    [TestCase(ExtractionMethod.PcaCenter)]
    public void SomeHandMadePairsHaveARawPrincipalDirectionThatPointsTheWrongWay(ExtractionMethod method)
    {
        var signs = new List<int>();
        foreach (var seed in Seeds)
        {
            var (positive, negative) = HandMade(seed);
            var pos = VectorExtractor.Rows(positive, 1);
            var neg = VectorExtractor.Rows(negative, 1);
            var rows = method == ExtractionMethod.PcaDiff
                ? pos.Zip(neg, (p, q) => p.Zip(q, (x, y) => x - y).ToArray()).ToList()
                : pos.Zip(neg, (p, q) => new[] { p.Zip(q, (x, y) => (x - y) / 2).ToArray(), q.Zip(p, (x, y) => (x - y) / 2).ToArray() }).SelectMany(r => r).ToList();
            var raw = PrincipalDirection.Of(rows);
            signs.Add(Math.Sign(TensorPrimitives.Dot(raw, MeanDifference(positive, negative, 1))));
        }
        Assert.That(signs, Has.Some.EqualTo(-1), "no hand-made set needs its sign fixed");
        Assert.That(signs, Has.Some.EqualTo(1), "every hand-made set needs its sign fixed: a method that always flips would pass");
    }
}
