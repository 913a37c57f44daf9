using System.Numerics.Tensors;
using LlamaSteer.Capture;

namespace LlamaSteer.Vectors.Extraction;

/// <summary>Options of <see cref="VectorExtractor.Extract"/>.</summary>
public sealed record ExtractionOptions
{
    public ExtractionMethod Method { get; init; } = ExtractionMethod.Mean;
    public VectorScaling Scaling { get; init; } = VectorScaling.Separation;
}

/// <summary>One layer's direction with where the classes sit along it.</summary>
public sealed record LayerDirection(int Layer, float[] Direction, LayerCalibration Calibration);

/// <summary>
/// Turns paired positive/negative activations into a direction per layer. Every direction is
/// oriented from negative to positive (mean positive projection above mean negative), which
/// llama.cpp's cvector-generator leaves to chance for PCA.
/// </summary>
public static class VectorExtractor
{
    /// <param name="positive">Activations of the positive samples (row i pairs with row i of <paramref name="negative"/>).</param>
    /// <param name="neutral">Only for MeanCentred: activations of neutral text; null uses the mean of all samples.</param>
    public static IReadOnlyList<LayerDirection> Extract(CapturedActivations positive, CapturedActivations negative, ExtractionOptions options, CapturedActivations? neutral = null)
    {
        var paired = options.Method is ExtractionMethod.PcaDiff or ExtractionMethod.PcaCenter;
        if (paired && positive.RowCount != negative.RowCount)
            throw new ArgumentException($"{positive.RowCount} positive rows but {negative.RowCount} negative rows: {options.Method.Name()} needs pairs.");
        if (positive.RowCount < 1 || negative.RowCount < 1) throw new ArgumentException("No samples to extract from.");
        if (!positive.Layers.Equals(negative.Layers)) throw new ArgumentException("Positive and negative activations cover different layers.");
        var result = new List<LayerDirection>();
        foreach (var layer in positive.Layers.Layers)
        {
            var pos = Rows(positive, layer);
            var neg = Rows(negative, layer);
            var raw = options.Method switch
            {
                ExtractionMethod.Mean => Subtract(Mean(pos), Mean(neg)),
                ExtractionMethod.MeanCentred => Subtract(Mean(pos), neutral is null ? Mean(pos.Concat(neg).ToList()) : Mean(Rows(neutral, layer))),
                ExtractionMethod.PcaDiff => PrincipalDirection.Of(pos.Zip(neg, Subtract).ToList()),
                ExtractionMethod.PcaCenter => PrincipalDirection.Of(pos.Zip(neg, (p, q) =>
                {
                    var c = Midpoint(p, q);
                    return new[] { Subtract(p, c), Subtract(q, c) };
                }).SelectMany(x => x).ToList()),
                ExtractionMethod.Probe => LogisticProbe.Fit(pos, neg),
                _ => throw new ArgumentOutOfRangeException(nameof(options)),
            };
            var norm = TensorPrimitives.Norm(raw);
            if (norm == 0 || !float.IsFinite(norm))
                throw new InvalidOperationException($"Layer {layer}: positive and negative activations do not differ; no direction can be extracted.");
            var unit = raw.Select(v => v / norm).ToArray();
            var calibration = Calibrate(unit, pos, neg);
            if (calibration.PositiveMean < calibration.NegativeMean)
            {
                // Orient from negative to positive.
                TensorPrimitives.Negate(unit, unit);
                TensorPrimitives.Negate(raw, raw);
                calibration = new LayerCalibration(-calibration.PositiveMean, -calibration.NegativeMean, calibration.PooledStd);
            }
            var direction = options.Scaling switch
            {
                VectorScaling.Unit => unit,
                VectorScaling.Raw => raw,
                _ => unit.Select(v => v * (calibration.PositiveMean - calibration.NegativeMean)).ToArray(),
            };
            result.Add(new LayerDirection(layer, direction, calibration));
        }
        return result;
    }

    /// <summary>Mean projections of positives and negatives on a unit direction, and their pooled standard deviation.</summary>
    public static LayerCalibration Calibrate(ReadOnlySpan<float> unit, IReadOnlyList<float[]> pos, IReadOnlyList<float[]> neg)
    {
        var u = unit.ToArray();
        var pp = pos.Select(r => TensorPrimitives.Dot(r, u)).ToArray();
        var np = neg.Select(r => TensorPrimitives.Dot(r, u)).ToArray();
        static float Var(float[] x)
        {
            if (x.Length < 2) return 0;
            var mean = x.Average();
            return x.Sum(v => (v - mean) * (v - mean)) / (x.Length - 1);
        }
        var pooled = MathF.Sqrt((Var(pp) + Var(np)) / 2);
        return new LayerCalibration(pp.Average(), np.Average(), pooled);
    }

    internal static List<float[]> Rows(CapturedActivations a, int layer) =>
        Enumerable.Range(0, a.RowCount).Select(r => a.Row(layer, r).ToArray()).ToList();

    private static float[] Mean(IReadOnlyList<float[]> rows)
    {
        var m = new float[rows[0].Length];
        foreach (var r in rows) TensorPrimitives.Add(m, r, m);
        TensorPrimitives.Divide(m, rows.Count, m);
        return m;
    }

    private static float[] Subtract(float[] a, float[] b)
    {
        var r = new float[a.Length];
        TensorPrimitives.Subtract(a, b, r);
        return r;
    }

    private static float[] Midpoint(float[] a, float[] b)
    {
        var r = new float[a.Length];
        TensorPrimitives.Add(a, b, r);
        TensorPrimitives.Multiply(r, 0.5f, r);
        return r;
    }
}
