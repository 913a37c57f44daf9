using System.Numerics.Tensors;

namespace LlamaSteer.Vectors.Extraction;

/// <summary>
/// L2-regularised logistic regression (positive = 1, negative = 0) by full-batch gradient descent
/// with Adam steps on features standardised by their overall scale. Returns the weight direction in
/// the original feature space. Deterministic: no random initialisation.
/// </summary>
internal static class LogisticProbe
{
    public static float[] Fit(IReadOnlyList<float[]> positives, IReadOnlyList<float[]> negatives, float l2 = 1e-2f, int iterations = 400)
    {
        var rows = positives.Concat(negatives).ToArray();
        var labels = positives.Select(_ => 1f).Concat(negatives.Select(_ => 0f)).ToArray();
        var d = rows[0].Length;
        var n = rows.Length;
        // Centre and scale so one learning rate suits models of any activation scale.
        var mean = new float[d];
        foreach (var r in rows) TensorPrimitives.Add(mean, r, mean);
        TensorPrimitives.Divide(mean, n, mean);
        var x = rows.Select(r => { var c = new float[d]; TensorPrimitives.Subtract(r, mean, c); return c; }).ToArray();
        var scale = MathF.Sqrt(x.Sum(r => TensorPrimitives.SumOfSquares(r)) / (n * d));
        if (scale == 0) throw new InvalidOperationException("The activations have no variance: the probe cannot separate anything.");
        foreach (var r in x) TensorPrimitives.Divide(r, scale, r);

        var w = new float[d];
        var b = 0f;
        var m = new float[d];
        var v = new float[d];
        float mb = 0, vb = 0;
        const float lr = 0.05f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
        var grad = new float[d];
        for (var t = 1; t <= iterations; t++)
        {
            Array.Clear(grad);
            var gb = 0f;
            for (var i = 0; i < n; i++)
            {
                var z = TensorPrimitives.Dot(x[i], w) + b;
                var err = 1f / (1f + MathF.Exp(-z)) - labels[i];
                TensorPrimitives.MultiplyAdd(x[i], err / n, grad, grad);
                gb += err / n;
            }
            TensorPrimitives.MultiplyAdd(w, l2, grad, grad);
            for (var k = 0; k < d; k++)
            {
                m[k] = beta1 * m[k] + (1 - beta1) * grad[k];
                v[k] = beta2 * v[k] + (1 - beta2) * grad[k] * grad[k];
                var mh = m[k] / (1 - MathF.Pow(beta1, t));
                var vh = v[k] / (1 - MathF.Pow(beta2, t));
                w[k] -= lr * mh / (MathF.Sqrt(vh) + eps);
            }
            mb = beta1 * mb + (1 - beta1) * gb;
            vb = beta2 * vb + (1 - beta2) * gb * gb;
            b -= lr * (mb / (1 - MathF.Pow(beta1, t))) / (MathF.Sqrt(vb / (1 - MathF.Pow(beta2, t))) + eps);
        }
        var norm = TensorPrimitives.Norm(w);
        if (norm == 0 || !float.IsFinite(norm)) throw new InvalidOperationException("The probe did not converge to a direction.");
        TensorPrimitives.Divide(w, norm, w);
        return w;
    }
}
