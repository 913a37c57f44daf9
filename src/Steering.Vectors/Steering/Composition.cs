using System.Numerics.Tensors;
using LlamaSteer.Vectors;

namespace LlamaSteer.Steering;

/// <summary>One vector of a composition: its weight (the strength it is added with) and the layers it steers (null: all of its own).</summary>
public sealed record ComposedVector(string Name, SteeringVector Vector, float Weight, LayerSet? Layers = null)
{
    /// <summary>The layers steered: the filter intersected with the vector's layers.</summary>
    public IEnumerable<int> EffectiveLayers => Layers is null ? Vector.Layers : Vector.Layers.Where(Layers.Contains);

    /// <summary>This vector alone as a plan term.</summary>
    public SteeringTerm Term() => new(Vector, Weight, Layers) { Name = Name };
}

/// <summary>
/// Several vectors applied at once, each with its own weight and layers, and optionally orthogonalised
/// against each other per layer first. Pure; thread-safe.
/// </summary>
public static class Composition
{
    /// <summary>Every vector added at its weight on its layers (static adds: llama.cpp's control vector can carry it).</summary>
    public static SteeringPlan Plan(IReadOnlyList<ComposedVector> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        return new SteeringPlan(parts.Select(p => p.Term()).ToList());
    }

    /// <summary>
    /// Gram-Schmidt per layer, in the given order: on each layer, a vector loses its components along the
    /// (already orthogonalised) vectors before it that steer that layer too. The first vector is kept as it
    /// is and the last one changes most, so the ORDER MATTERS: put the vector whose effect must survive
    /// intact first. With <paramref name="keepNorms"/> each result is rescaled to the norm its input had on
    /// that layer, so a weight means the same step length as before; otherwise the residual is kept as it is
    /// (shorter, by the shared part). Layers a vector has but does not steer are left unchanged. Names,
    /// weights and layer filters are kept.
    /// </summary>
    /// <exception cref="ArgumentException">Vectors of different n_embd, or a vector that lies (almost) entirely along earlier ones on a layer, leaving nothing to steer with.</exception>
    public static IReadOnlyList<ComposedVector> Orthogonalise(IReadOnlyList<ComposedVector> parts, bool keepNorms = true)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) return [];
        var embd = parts[0].Vector.EmbeddingSize;
        if (parts.FirstOrDefault(p => p.Vector.EmbeddingSize != embd) is { } other)
            throw new ArgumentException($"{other.Name} has n_embd {other.Vector.EmbeddingSize} but {parts[0].Name} has {embd}.");

        var result = parts.Select(p => p.Vector.Layers.ToDictionary(l => l, l => p.Vector.Direction(l).ToArray())).ToArray();
        var layers = parts.SelectMany(p => p.EffectiveLayers).Distinct().Order();
        foreach (var layer in layers)
        {
            var basis = new List<double[]>();
            for (var k = 0; k < parts.Count; k++)
            {
                if (!parts[k].EffectiveLayers.Contains(layer)) continue;
                var d = result[k][layer].Select(v => (double)v).ToArray();
                var norm = Norm(d);
                if (norm == 0) continue; // a zero direction stays zero and spans nothing
                if (basis.Count == 0)
                {
                    basis.Add(d.Select(v => v / norm).ToArray());
                    continue;
                }
                foreach (var u in basis)
                {
                    var dot = Dot(d, u);
                    for (var i = 0; i < d.Length; i++) d[i] -= dot * u[i];
                }
                var left = Norm(d);
                if (left <= 1e-6 * norm)
                    throw new ArgumentException($"{parts[k].Name} lies along the vectors before it on layer {layer}; orthogonalising leaves nothing of it. Drop it or put it first.");
                var unit = d.Select(v => v / left).ToArray();
                basis.Add(unit);
                var scale = keepNorms ? norm : left;
                result[k][layer] = unit.Select(v => (float)(v * scale)).ToArray();
            }
        }
        return parts.Select((p, k) => p with
        {
            Vector = new SteeringVector(embd, result[k], p.Vector.ModelHint, p.Vector.Provenance with
            {
                Options = $"orthogonalised (Gram-Schmidt, {(keepNorms ? "norms kept" : "residual norms")}) after {string.Join(", ", parts.Take(k).Select(x => x.Name))}",
                Calibration = new Dictionary<int, LayerCalibration>(),
            }),
        }).ToArray();
    }

    /// <summary>The cosine of the angle between two directions; 0 when either is zero.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var na = TensorPrimitives.Norm(a);
        var nb = TensorPrimitives.Norm(b);
        if (na == 0 || nb == 0) return 0;
        double dot = 0;
        for (var i = 0; i < a.Length; i++) dot += (double)a[i] * b[i];
        return dot / ((double)na * nb);
    }

    private static double Dot(double[] a, double[] b)
    {
        var s = 0.0;
        for (var i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static double Norm(double[] a) => Math.Sqrt(Dot(a, a));
}
