using System.Numerics.Tensors;
using LlamaSteer.Capture;
using LlamaSteer.Steering;
using LlamaSteer.Vectors.Extraction;

namespace LlamaSteer.Core.Tests.Vectors;

/// <summary>
/// What VectorExtractor promises for hand-made activations whose answers are worked out here: each method's raw direction,
/// the calibration, the refusals, and the method names. Pure managed; no model.
/// </summary>
[TestFixture]
public class ExtractorContractTests
{
    private const int Embd = 6;
    private static readonly LayerSet One = LayerSet.Of([2]);

    private static CapturedActivations Rows(params float[][] rows) => Rows(One, rows);

    private static CapturedActivations Rows(LayerSet layers, params float[][] rows) =>
        new(layers, Embd, Enumerable.Range(0, rows.Length).ToArray(),
            layers.Layers.ToDictionary(l => l, _ => rows.SelectMany(r => r).ToArray()), CapturePositions.LastToken);

    private static float[] Row(params float[] v) => v;

    private static float[] Unit(float[] v)
    {
        var u = new float[v.Length];
        TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), u);
        return u;
    }

    private static LayerDirection Extract(ExtractionMethod method, VectorScaling scaling, CapturedActivations pos, CapturedActivations neg, CapturedActivations? neutral = null) =>
        VectorExtractor.Extract(pos, neg, new ExtractionOptions { Method = method, Scaling = scaling }, neutral).Single();

    // Positives and negatives two pairs apart along the first two axes, with other axes shared inside each pair.
    private static readonly CapturedActivations Positives = Rows(Row(3, 1, 5, 0, 0, 1), Row(5, 1, -1, 2, 0, 0), Row(4, 3, 0, 0, 1, 0));
    private static readonly CapturedActivations Negatives = Rows(Row(1, 0, 5, 0, 0, 1), Row(2, 0, -1, 2, 0, 0), Row(3, 1, 0, 0, 1, 0));

    [Test]
    public void RawMeanIsTheDifferenceOfTheClassMeans()
    {
        // Means: positives (4, 5/3, 4/3, 2/3, 1/3, 1/3), negatives (2, 1/3, 4/3, 2/3, 1/3, 1/3).
        var d = Extract(ExtractionMethod.Mean, VectorScaling.Raw, Positives, Negatives);
        Assert.That(d.Layer, Is.EqualTo(2));
        Assert.That(d.Direction, Is.EqualTo(new[] { 2f, 4f / 3, 0, 0, 0, 0 }).Within(1e-5f));
    }

    [Test]
    public void MeanCentredSubtractsTheNeutralMeanWhenThereIsOne()
    {
        var neutral = Rows(Row(0, 0, 0, 0, 0, 0), Row(0, 0, 2, 0, 0, 0));
        var withNeutral = Extract(ExtractionMethod.MeanCentred, VectorScaling.Raw, Positives, Negatives, neutral);
        Assert.That(withNeutral.Direction, Is.EqualTo(new[] { 4f, 5f / 3, 4f / 3 - 1, 2f / 3, 1f / 3, 1f / 3 }).Within(1e-5f));
        // Without one, the neutral mean is that of all samples: half the class difference.
        var withoutNeutral = Extract(ExtractionMethod.MeanCentred, VectorScaling.Raw, Positives, Negatives);
        Assert.That(withoutNeutral.Direction, Is.EqualTo(new[] { 1f, 2f / 3, 0, 0, 0, 0 }).Within(1e-5f));
    }

    [Test]
    public void PcaDiffIsThePrincipalDirectionOfThePairDifferences()
    {
        // Differences (2,1,0..), (3,1,0..), (1,2,0..): their first uncentred principal direction, from the 2 x 2 second-moment matrix.
        var d = Extract(ExtractionMethod.PcaDiff, VectorScaling.Unit, Positives, Negatives);
        var m = new double[2, 2];
        foreach (var (x, y) in new[] { (2.0, 1.0), (3.0, 1.0), (1.0, 2.0) }) { m[0, 0] += x * x; m[0, 1] += x * y; m[1, 1] += y * y; }
        var trace = m[0, 0] + m[1, 1];
        var det = m[0, 0] * m[1, 1] - m[0, 1] * m[0, 1];
        var largest = trace / 2 + Math.Sqrt(trace * trace / 4 - det);
        var expected = Unit([(float)m[0, 1], (float)(largest - m[0, 0]), 0, 0, 0, 0]);
        Assert.That(d.Direction, Is.EqualTo(expected).Within(1e-4f));
    }

    [TestCase(ExtractionMethod.PcaDiff)]
    [TestCase(ExtractionMethod.PcaCenter)]
    [TestCase(ExtractionMethod.Probe)]
    public void RawScalingOfADirectionMethodIsItsUnitDirection(ExtractionMethod method)
    {
        var raw = Extract(method, VectorScaling.Raw, Positives, Negatives);
        var unit = Extract(method, VectorScaling.Unit, Positives, Negatives);
        Assert.That(raw.Direction, Is.EqualTo(unit.Direction).Within(1e-5f));
        Assert.That(TensorPrimitives.Norm(raw.Direction), Is.EqualTo(1f).Within(1e-5f));
    }

    [Test]
    public void PcaCenterOfSymmetricPairsIsTheirDifferenceDirection()
    {
        // Every pair differs by the same vector: centred on its midpoint each pair is ±half of it, so that is the direction.
        var pos = Rows(Row(1, 2, 0, 0, 0, 0), Row(0, 5, 1, 0, 0, 0), Row(7, 0, 0, 3, 0, 0));
        var neg = Rows(Row(0, 2, 0, 0, 0, 2), Row(-1, 5, 1, 0, 0, 2), Row(6, 0, 0, 3, 0, 2));
        var d = Extract(ExtractionMethod.PcaCenter, VectorScaling.Unit, pos, neg);
        Assert.That(d.Direction, Is.EqualTo(Unit([1, 0, 0, 0, 0, -2])).Within(1e-4f));
    }

    [Test]
    public void ProbeWeightsPointAlongTheOnlyAxisThatSeparatesTheClasses()
    {
        // Classes differ only in axis 0; the others are the same noise on both sides, so an L2-regularised probe leans on axis 0.
        var rng = new Random(4);
        float[] Noise(float first) => [first, .. Enumerable.Range(1, Embd - 1).Select(_ => (float)(rng.NextDouble() - 0.5))];
        var pos = Rows(Enumerable.Range(0, 8).Select(_ => Noise(1f + (float)rng.NextDouble())).ToArray());
        var neg = Rows(Enumerable.Range(0, 8).Select(_ => Noise(-1f - (float)rng.NextDouble())).ToArray());
        var d = Extract(ExtractionMethod.Probe, VectorScaling.Unit, pos, neg);
        Assert.That(d.Direction[0], Is.GreaterThan(0.9f), string.Join(", ", d.Direction));
    }

    /// <summary>
    /// The probe is the L2-regularised logistic regression (weight decay 1e-2 on the weights, on features centred and scaled by
    /// their overall RMS): its direction is that objective's unique optimum, found here independently by Newton's method.
    /// </summary>
    [Test]
    public void ProbeDirectionIsTheRegularisedLogisticOptimum()
    {
        var rng = new Random(9);
        var along = Enumerable.Range(0, Embd).Select(_ => rng.NextDouble() - 0.5).ToArray();
        float[] Sample(double side) => Enumerable.Range(0, Embd).Select(k => (float)(side * along[k] + rng.NextDouble() - 0.5)).ToArray();
        var posRows = Enumerable.Range(0, 10).Select(_ => Sample(0.6)).ToArray();
        var negRows = Enumerable.Range(0, 10).Select(_ => Sample(-0.6)).ToArray();
        var probe = Extract(ExtractionMethod.Probe, VectorScaling.Unit, Rows(posRows), Rows(negRows)).Direction;

        var rows = posRows.Concat(negRows).Select(r => r.Select(x => (double)x).ToArray()).ToArray();
        var labels = posRows.Select(_ => 1.0).Concat(negRows.Select(_ => 0.0)).ToArray();
        var n = rows.Length;
        var mean = Enumerable.Range(0, Embd).Select(k => rows.Average(r => r[k])).ToArray();
        var centred = rows.Select(r => r.Select((x, k) => x - mean[k]).ToArray()).ToArray();
        var scale = Math.Sqrt(centred.Sum(r => r.Sum(x => x * x)) / (n * Embd));
        var x = centred.Select(r => r.Select(v => v / scale).Append(1.0).ToArray()).ToArray(); // last column: the bias
        var theta = new double[Embd + 1];
        for (var step = 0; step < 50; step++)
        {
            var gradient = MathNet.Numerics.LinearAlgebra.Vector<double>.Build.Dense(Embd + 1);
            var hessian = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(Embd + 1, Embd + 1);
            for (var i = 0; i < n; i++)
            {
                var p = 1 / (1 + Math.Exp(-x[i].Zip(theta, (a, b) => a * b).Sum()));
                for (var a = 0; a <= Embd; a++)
                {
                    gradient[a] += (p - labels[i]) * x[i][a] / n;
                    for (var b = 0; b <= Embd; b++) hessian[a, b] += p * (1 - p) * x[i][a] * x[i][b] / n;
                }
            }
            for (var a = 0; a < Embd; a++) { gradient[a] += 1e-2 * theta[a]; hessian[a, a] += 1e-2; }
            var delta = hessian.Solve(gradient);
            for (var a = 0; a <= Embd; a++) theta[a] -= delta[a];
        }
        var optimum = theta.Take(Embd).Select(v => (float)v).ToArray();
        var cosine = TensorPrimitives.CosineSimilarity(probe, optimum);
        Assert.That(cosine, Is.GreaterThan(0.9999f), $"probe {string.Join(", ", probe)}; optimum {string.Join(", ", Unit(optimum))}");
    }

    [Test]
    public void CalibrationHoldsTheClassMeansAndPooledSpreadAlongTheUnitDirection()
    {
        var d = Extract(ExtractionMethod.Mean, VectorScaling.Unit, Positives, Negatives);
        float[] Projections(CapturedActivations a) => Enumerable.Range(0, a.RowCount).Select(r => TensorPrimitives.Dot(a.Row(2, r), d.Direction)).ToArray();
        static double Variance(float[] x) => x.Sum(v => (v - x.Average()) * (v - x.Average())) / (x.Length - 1);
        var p = Projections(Positives);
        var n = Projections(Negatives);
        Assert.That(d.Calibration.PositiveMean, Is.EqualTo(p.Average()).Within(1e-5));
        Assert.That(d.Calibration.NegativeMean, Is.EqualTo(n.Average()).Within(1e-5));
        Assert.That(d.Calibration.PooledStd, Is.EqualTo(Math.Sqrt((Variance(p) + Variance(n)) / 2)).Within(1e-5));
        Assert.That(d.Calibration.PooledStd, Is.GreaterThan(0.1), "the spread is not trivially zero");
        // Two samples per side: the sample variance divides by one.
        var two = Extract(ExtractionMethod.Mean, VectorScaling.Unit, Rows(Row(2, 0, 0, 0, 0, 0), Row(4, 0, 0, 0, 0, 0)), Rows(Row(0, 0, 0, 0, 0, 0), Row(0, 0, 0, 0, 0, 0)));
        Assert.That(two.Calibration.PooledStd, Is.EqualTo(Math.Sqrt((2.0 + 0) / 2)).Within(1e-6), "variances 2 and 0");
        // One sample per side has no spread.
        var single = Extract(ExtractionMethod.Mean, VectorScaling.Unit, Rows(Row(1, 0, 0, 0, 0, 0)), Rows(Row(0, 0, 0, 0, 0, 0)));
        Assert.That(single.Calibration.PooledStd, Is.Zero);
        Assert.That(single.Direction, Is.EqualTo(new[] { 1f, 0, 0, 0, 0, 0 }));
    }

    [Test]
    public void SeparationScalingIsTheUnitDirectionTimesTheClassDistance()
    {
        var unit = Extract(ExtractionMethod.Mean, VectorScaling.Unit, Positives, Negatives);
        var separation = Extract(ExtractionMethod.Mean, VectorScaling.Separation, Positives, Negatives);
        var distance = unit.Calibration.PositiveMean - unit.Calibration.NegativeMean;
        Assert.That(TensorPrimitives.Norm(unit.Direction), Is.EqualTo(1f).Within(1e-5f));
        Assert.That(separation.Direction, Is.EqualTo(unit.Direction.Select(x => x * distance).ToArray()).Within(1e-5f));
        Assert.That(separation.Calibration, Is.EqualTo(unit.Calibration));
    }

    [Test]
    public void EveryLayerIsExtractedInOrder()
    {
        var layers = LayerSet.Of([1, 3]);
        var pos = Rows(layers, Row(1, 0, 0, 0, 0, 0), Row(2, 0, 0, 0, 0, 0));
        var neg = Rows(layers, Row(0, 0, 0, 0, 0, 0), Row(0, 1, 0, 0, 0, 0));
        var result = VectorExtractor.Extract(pos, neg, new ExtractionOptions());
        Assert.That(result.Select(d => d.Layer), Is.EqualTo(new[] { 1, 3 }));
    }

    [Test]
    public void BadInputIsRefusedWithTheReason()
    {
        var three = Rows(Row(1, 0, 0, 0, 0, 0), Row(2, 0, 0, 0, 0, 0), Row(3, 0, 0, 0, 0, 0));
        var two = Rows(Row(0, 0, 0, 0, 0, 0), Row(0, 1, 0, 0, 0, 0));
        var empty = new CapturedActivations(One, Embd, [], new() { [2] = [] }, CapturePositions.LastToken);
        Assert.Multiple(() =>
        {
            foreach (var paired in new[] { ExtractionMethod.PcaDiff, ExtractionMethod.PcaCenter })
                Assert.That(Assert.Throws<ArgumentException>(() => Extract(paired, VectorScaling.Unit, three, two))!.Message,
                    Is.EqualTo($"3 positive rows but 2 negative rows: {paired.Name()} needs pairs."));
            // Unpaired methods take classes of different sizes.
            Assert.That(Extract(ExtractionMethod.Mean, VectorScaling.Raw, three, two).Direction, Is.EqualTo(new[] { 2f, -0.5f, 0, 0, 0, 0 }).Within(1e-6f));
            Assert.That(Assert.Throws<ArgumentException>(() => Extract(ExtractionMethod.Mean, VectorScaling.Unit, empty, two))!.Message, Is.EqualTo("No samples to extract from."));
            Assert.That(Assert.Throws<ArgumentException>(() => Extract(ExtractionMethod.Mean, VectorScaling.Unit, two, empty))!.Message, Is.EqualTo("No samples to extract from."));
            Assert.That(Assert.Throws<ArgumentException>(() => Extract(ExtractionMethod.Mean, VectorScaling.Unit, two, Rows(LayerSet.Of([3]), Row(0, 0, 0, 0, 0, 0))))!.Message,
                Does.Contain("different layers"));
            var same = Rows(Row(1, 2, 3, 0, 0, 0), Row(1, 2, 3, 0, 0, 0));
            Assert.That(Assert.Throws<InvalidOperationException>(() => Extract(ExtractionMethod.Probe, VectorScaling.Unit, same, same))!.Message,
                Is.EqualTo("The activations have no variance: the probe cannot separate anything."));
            foreach (var method in Enum.GetValues<ExtractionMethod>())
                Assert.That(Assert.Throws<InvalidOperationException>(() => Extract(method, VectorScaling.Unit, two, two))!.Message,
                    Does.Contain("do not differ").Or.Contain("no variance").Or.Contain("not converge"), method.Name());
        });
    }

    [TestCase("mean", ExtractionMethod.Mean)]
    [TestCase("Mean-Centred", ExtractionMethod.MeanCentred)]
    [TestCase("mean-centered", ExtractionMethod.MeanCentred)]
    [TestCase("pca-diff", ExtractionMethod.PcaDiff)]
    [TestCase(" pca-center ", ExtractionMethod.PcaCenter)]
    [TestCase("pca-centre", ExtractionMethod.PcaCenter)]
    [TestCase("probe", ExtractionMethod.Probe)]
    public void MethodNamesParseAndPrint(string name, ExtractionMethod method)
    {
        Assert.That(ExtractionMethodNames.Parse(name), Is.EqualTo(method));
        Assert.That(ExtractionMethodNames.Parse(method.Name()), Is.EqualTo(method), "round trip");
    }

    [Test]
    public void MethodsPrintAsTheCommandLineSpellsThem() =>
        Assert.That(Enum.GetValues<ExtractionMethod>().Select(m => m.Name()), Is.EqualTo(new[] { "mean", "mean-centred", "pca-diff", "pca-center", "probe" }));
}
