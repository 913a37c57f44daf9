using MathNet.Numerics.LinearAlgebra;

namespace LlamaSteer.Vectors.Extraction;

/// <summary>
/// The first principal direction of a set of rows (uncentred: rows are already differences or
/// centred pairs). Computed from the small n x n Gram matrix, so the cost does not grow with n_embd
/// cubed: X Xᵀ = U S² Uᵀ and the direction is Xᵀ u₁ / |Xᵀ u₁|.
/// </summary>
internal static class PrincipalDirection
{
    public static float[] Of(IReadOnlyList<float[]> rows)
    {
        var n = rows.Count;
        var d = rows[0].Length;
        var gram = Matrix<double>.Build.Dense(n, n);
        for (var i = 0; i < n; i++)
            for (var j = i; j < n; j++)
            {
                var dot = (double)System.Numerics.Tensors.TensorPrimitives.Dot(rows[i], rows[j]);
                gram[i, j] = dot;
                gram[j, i] = dot;
            }
        var evd = gram.Evd(Symmetricity.Symmetric);
        // MathNet orders symmetric eigenvalues ascending: the last column belongs to the largest.
        var u = evd.EigenVectors.Column(n - 1);
        var v = new double[d];
        for (var i = 0; i < n; i++)
        {
            var w = u[i];
            var r = rows[i];
            for (var k = 0; k < d; k++) v[k] += w * r[k];
        }
        var norm = Math.Sqrt(v.Sum(x => x * x));
        if (norm == 0 || !double.IsFinite(norm)) throw new InvalidOperationException("The rows have no variance: positive and negative activations are identical.");
        return v.Select(x => (float)(x / norm)).ToArray();
    }
}
