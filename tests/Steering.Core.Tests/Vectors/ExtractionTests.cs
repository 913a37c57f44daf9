using System.Numerics.Tensors;
using LlamaSteer.Capture;
using LlamaSteer.Evaluation;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;
using LlamaSteer.Vectors.Extraction;

namespace LlamaSteer.Core.Tests.Vectors;

[TestFixture]
public class ExtractionTests
{
    // Same sentence about a girl (positive) and a boy (negative).
    private static readonly (string Girl, string Boy)[] Pairs =
    [
        ("Lily went to the park and she played", "Tim went to the park and he played"),
        ("The girl had a doll. She loved her doll", "The boy had a truck. He loved his truck"),
        ("Sue was a little girl who liked to sing", "Ben was a little boy who liked to sing"),
        ("Mom gave Lily a hug and she smiled", "Mom gave Tim a hug and he smiled"),
        ("Lily and her mom baked a cake", "Tim and his dad baked a cake"),
        ("The princess wore a pretty dress", "The prince wore a big hat"),
        ("She said, I want to play with my sister", "He said, I want to play with my brother"),
        ("Mia found a shiny stone. She kept it", "Tom found a shiny stone. He kept it"),
    ];

    private LlamaModel _model = null!;
    private CaptureItem[] _pos = null!, _neg = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _model = SharedModel.Model;
        _pos = Pairs.Select(p => new CaptureItem(_model.Tokenize(p.Girl), 1)).ToArray();
        _neg = Pairs.Select(p => new CaptureItem(_model.Tokenize(p.Boy), 1)).ToArray();
    }

    private TrainingReport Train(ExtractionMethod method, VectorScaling scaling = VectorScaling.Separation, CapturePositions positions = CapturePositions.CompletionMean) =>
        VectorTrainer.Train(_model, _pos, _neg, new TrainingOptions { Method = method, Scaling = scaling, Positions = positions, Layers = LayerSet.Range(1, 4), Threads = 1 }, new VectorProvenance());

    [TestCase(ExtractionMethod.PcaDiff)]
    [TestCase(ExtractionMethod.PcaCenter)]
    [TestCase(ExtractionMethod.Mean)]
    [TestCase(ExtractionMethod.MeanCentred)]
    [TestCase(ExtractionMethod.Probe)]
    public void DirectionPointsFromNegativeToPositive(ExtractionMethod method)
    {
        var report = Train(method, VectorScaling.Unit);
        using var capturer = new ActivationCapturer(_model, 1);
        var layers = LayerSet.Range(1, 4);
        var pos = capturer.Capture(_pos, layers, CapturePositions.CompletionMean);
        var neg = capturer.Capture(_neg, layers, CapturePositions.CompletionMean);
        foreach (var l in layers.Layers)
        {
            var d = report.Vector.Direction(l).ToArray();
            var posMean = Enumerable.Range(0, pos.RowCount).Average(r => TensorPrimitives.Dot(pos.Row(l, r), d));
            var negMean = Enumerable.Range(0, neg.RowCount).Average(r => TensorPrimitives.Dot(neg.Row(l, r), d));
            Assert.That(posMean, Is.GreaterThan(negMean), $"{method}, layer {l}");
            Assert.That(report.Layers.Single(x => x.Layer == l).Calibration.PositiveMean, Is.EqualTo(posMean).Within(1e-3));
            Assert.That(TensorPrimitives.Norm(d), Is.EqualTo(1f).Within(1e-4), "unit scaling");
        }
    }

    [Test]
    public void SeparationScalingOfMeanIsTheRawMeanDifference()
    {
        var raw = Train(ExtractionMethod.Mean, VectorScaling.Raw).Vector;
        var sep = Train(ExtractionMethod.Mean, VectorScaling.Separation).Vector;
        foreach (var l in raw.Layers)
            Assert.That(sep.Direction(l).ToArray(), Is.EqualTo(raw.Direction(l).ToArray()).Within(1e-4f));
    }

    [TestCase(ExtractionMethod.Mean)]
    [TestCase(ExtractionMethod.MeanCentred)]
    [TestCase(ExtractionMethod.PcaDiff)]
    [TestCase(ExtractionMethod.PcaCenter)]
    [TestCase(ExtractionMethod.Probe)]
    public void SeparationScalingMovesTheMeanNegativeOntoTheMeanPositive(ExtractionMethod method)
    {
        var unit = Train(method, VectorScaling.Unit).Vector;
        var separation = Train(method, VectorScaling.Separation).Vector;
        using var capturer = new ActivationCapturer(_model, 1);
        var layers = LayerSet.Range(1, 4);
        var pos = capturer.Capture(_pos, layers, CapturePositions.CompletionMean);
        var neg = capturer.Capture(_neg, layers, CapturePositions.CompletionMean);
        foreach (var l in layers.Layers)
        {
            // The class means' distance along the unit direction, from the captured rows.
            var u = unit.Direction(l).ToArray();
            var distance = Enumerable.Range(0, pos.RowCount).Average(r => TensorPrimitives.Dot(pos.Row(l, r), u))
                - Enumerable.Range(0, neg.RowCount).Average(r => TensorPrimitives.Dot(neg.Row(l, r), u));
            Assert.That(distance, Is.GreaterThan(0), $"{method}, layer {l}");
            var expected = u.Select(x => (float)(x * distance)).ToArray();
            Assert.That(separation.Direction(l).ToArray(), Is.EqualTo(expected).Within(1e-3f * (float)distance), $"{method}, layer {l}");
        }
    }

    [Test]
    public void MeanDifferenceVectorMovesLilyOverTimMonotonically()
    {
        var vector = Train(ExtractionMethod.Mean, positions: CapturePositions.CompletionMean).Vector;
        var probe = ProbeTokens.Resolve(_model, "Lily", "Tim");
        // Held-out prompts (not in the pairs above).
        string[] prompts = ["Once upon a time, there was a little", "One day, a kid named", "The best friend of the dog was"];
        var effect = ConceptEffect.Sweep(_model, vector, LayerSet.Range(1, 4), prompts, probe, [-2f, -1f, -0.5f, 0f, 0.5f, 1f, 2f], threads: 1);
        var means = effect.Select(e => e.MeanLogProbDifference).ToArray();
        for (var i = 1; i < means.Length; i++) Assert.That(means[i], Is.GreaterThan(means[i - 1]), $"strengths {string.Join(", ", means.Select(m => m.ToString("F2")))}");
        Assert.That(means[^1] - means[0], Is.GreaterThan(2.0), "the effect is tiny");
    }

    [Test]
    public void ActivationCacheServesLaterMethodsWithTheSameNumbers()
    {
        var dir = TestPaths.NewTempDirectory();
        try
        {
            var cache = Path.Combine(dir, "acts.gguf");
            TrainingReport Run(ExtractionMethod m, string? path) => VectorTrainer.Train(_model, _pos, _neg,
                new TrainingOptions { Method = m, Layers = LayerSet.Range(1, 4), Threads = 1, CachePath = path }, new VectorProvenance());
            var first = Run(ExtractionMethod.Mean, cache);
            Assert.That(first.FromCache, Is.False);
            Assert.That(File.Exists(cache));
            var second = Run(ExtractionMethod.PcaDiff, cache);
            Assert.That(second.FromCache, Is.True);
            var direct = Run(ExtractionMethod.PcaDiff, null);
            foreach (var l in direct.Vector.Layers)
                Assert.That(second.Vector.Direction(l).ToArray(), Is.EqualTo(direct.Vector.Direction(l).ToArray()).Within(1e-5f));
            // Other samples do not hit the cache.
            var other = VectorTrainer.Train(_model, _pos.Take(4).ToArray(), _neg.Take(4).ToArray(),
                new TrainingOptions { Layers = LayerSet.Range(1, 4), Threads = 1, CachePath = cache }, new VectorProvenance());
            Assert.That(other.FromCache, Is.False);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void UnknownMethodNameListsTheKnownOnes() =>
        Assert.That(Assert.Throws<ArgumentException>(() => ExtractionMethodNames.Parse("svd"))!.Message, Does.Contain("mean, mean-centred, pca-diff, pca-center, probe"));
}
