using System.Globalization;
using System.Numerics.Tensors;
using LlamaSteer.Steering;

namespace LlamaSteer.Vectors;

/// <summary>A composed vector and the warnings its inputs raised (different model hints, layers asked for that no input has).</summary>
public sealed record VectorComposition(SteeringVector Vector, IReadOnlyList<string> Warnings);

/// <summary>
/// Arithmetic on steering vectors, as llama.cpp applies several control vectors: the weighted sum per
/// layer. Pure functions; thread-safe. Inputs are named (file names, say) so that errors and the
/// result's provenance can say which input is which; unnamed inputs are called #1, #2, ...
/// The result's provenance records the operation (<see cref="VectorProvenance.Method"/> "scale",
/// "negate", "add" or "compose", <see cref="VectorProvenance.Options"/> the formula) and keeps the
/// dataset and model fields only where every input agrees. Calibration is kept by
/// <see cref="Scale"/> and <see cref="Negate"/>, which leave the direction's line unchanged (a negative
/// factor mirrors it), and dropped by sums, for which it no longer holds. No CreatedUtc is set: the
/// caller owns the clock.
/// </summary>
public static class VectorComposer
{
    /// <summary><paramref name="vector"/> times <paramref name="factor"/>.</summary>
    /// <exception cref="ArgumentException">The factor is zero, NaN or infinite.</exception>
    public static SteeringVector Scale(SteeringVector vector, float factor, string? name = null) =>
        Scaled(vector, factor, name, "scale");

    /// <summary><paramref name="vector"/> pointing the other way (times -1).</summary>
    public static SteeringVector Negate(SteeringVector vector, string? name = null) =>
        Scaled(vector, -1, name, "negate");

    /// <summary><paramref name="a"/> + <paramref name="b"/> per layer; a layer only one has is taken from it.</summary>
    /// <exception cref="ArgumentException">The vectors have different n_embd, or the sum is zero everywhere.</exception>
    public static VectorComposition Add(SteeringVector a, SteeringVector b, string? nameA = null, string? nameB = null) =>
        Sum([(a, 1f), (b, 1f)], null, [nameA ?? "#1", nameB ?? "#2"], "add");

    /// <summary>
    /// The weighted sum of the terms per layer, over the layers present in any term (a term without a layer
    /// counts as zero there), optionally kept to <paramref name="layers"/>.
    /// </summary>
    /// <param name="names">One name per term, for messages and provenance; null: #1, #2, ...</param>
    /// <exception cref="ArgumentException">
    /// No terms, a NaN or infinite weight, terms with different n_embd (the message names the term),
    /// none of <paramref name="layers"/> in any term, or a result that is zero on every layer.
    /// </exception>
    public static VectorComposition Compose(
        IReadOnlyList<(SteeringVector Vector, float Weight)> terms,
        LayerSet? layers = null,
        IReadOnlyList<string>? names = null)
    {
        ArgumentNullException.ThrowIfNull(terms);
        if (names is not null && names.Count != terms.Count)
            throw new ArgumentException($"{names.Count} names for {terms.Count} terms.", nameof(names));
        return Sum(terms, layers, names ?? Enumerable.Range(1, terms.Count).Select(i => $"#{i}").ToArray(), "compose");
    }

    private static SteeringVector Scaled(SteeringVector vector, float factor, string? name, string method)
    {
        ArgumentNullException.ThrowIfNull(vector);
        if (!float.IsFinite(factor)) throw new ArgumentException($"The factor {Number(factor)} is not a finite number.");
        if (factor == 0) throw new ArgumentException("A factor of 0 gives a zero vector, which steers nothing and would not be read back as a control vector.");
        var scaled = vector.Layers.ToDictionary(l => l, l =>
        {
            var d = new float[vector.EmbeddingSize];
            TensorPrimitives.Multiply(vector.Direction(l), factor, d);
            return d;
        });
        var calibration = factor > 0
            ? vector.Provenance.Calibration
            : vector.Provenance.Calibration.ToDictionary(c => c.Key, c => c.Value with { PositiveMean = -c.Value.PositiveMean, NegativeMean = -c.Value.NegativeMean });
        var provenance = vector.Provenance with
        {
            Method = method,
            Options = $"{Number(factor)}*{name ?? "#1"}",
            CreatedUtc = null,
            Calibration = calibration,
        };
        return new SteeringVector(vector.EmbeddingSize, scaled, vector.ModelHint, provenance);
    }

    private static VectorComposition Sum(IReadOnlyList<(SteeringVector Vector, float Weight)> terms, LayerSet? layers, IReadOnlyList<string> names, string method)
    {
        if (terms.Count == 0) throw new ArgumentException("Nothing to compose: no vectors given.", nameof(terms));
        var embd = terms[0].Vector.EmbeddingSize;
        for (var i = 0; i < terms.Count; i++)
        {
            if (!float.IsFinite(terms[i].Weight))
                throw new ArgumentException($"The weight of {names[i]} is not a finite number ({Number(terms[i].Weight)}).");
            if (terms[i].Vector.EmbeddingSize != embd)
                throw new ArgumentException($"{names[i]} has n_embd {terms[i].Vector.EmbeddingSize} but {names[0]} has {embd}: vectors for models of different widths cannot be added.");
        }

        var warnings = new List<string>();
        var hints = terms.Select((t, i) => (t.Vector.ModelHint, Name: names[i])).Where(h => h.ModelHint is not null).ToArray();
        foreach (var other in hints.Skip(1).Where(h => h.ModelHint != hints[0].ModelHint))
            warnings.Add($"{other.Name} has model hint '{other.ModelHint}' but {hints[0].Name} has '{hints[0].ModelHint}': they were made on different models, so their sum may mean nothing.");

        var present = terms.SelectMany(t => t.Vector.Layers).Distinct().Order().ToArray();
        var kept = layers is null ? present : present.Where(layers.Contains).ToArray();
        if (kept.Length == 0)
            throw new ArgumentException($"None of the layers {layers} is in any input (they have {LayerSet.Of(present)}).");
        if (layers is not null && layers.Layers.Where(l => !kept.Contains(l)).ToArray() is { Length: > 0 } absent)
            warnings.Add($"No input has layer(s) {LayerSet.Of(absent)}; the result has none there.");

        var directions = new Dictionary<int, float[]>();
        var product = new float[embd];
        foreach (var layer in kept)
        {
            var sum = new float[embd];
            foreach (var (vector, weight) in terms)
            {
                if (!vector.HasLayer(layer)) continue;
                // Multiply, then add: two exactly rounded steps, never a fused multiply-add, so the sum is
                // the same on every machine and equals the plain sum of the products.
                TensorPrimitives.Multiply(vector.Direction(layer), weight, product);
                TensorPrimitives.Add(sum, product, sum);
            }
            directions[layer] = sum;
        }
        if (directions.Values.All(d => d.All(v => v == 0)))
            throw new ArgumentException("The terms cancel out: the result is zero on every layer, which steers nothing and would not be read back as a control vector.");

        var formula = string.Join(" + ", terms.Select((t, i) => $"{Number(t.Weight)}*{names[i]}"));
        var provenance = new VectorProvenance
        {
            Method = method,
            Options = layers is null ? formula : $"{formula} on layers {layers}",
            DatasetName = Shared(terms, p => p.DatasetName),
            DatasetSha256 = Shared(terms, p => p.DatasetSha256),
            ModelFile = Shared(terms, p => p.ModelFile),
            ModelEmbeddingSize = terms.All(t => t.Vector.Provenance.ModelEmbeddingSize == terms[0].Vector.Provenance.ModelEmbeddingSize)
                ? terms[0].Vector.Provenance.ModelEmbeddingSize
                : null,
        };
        return new VectorComposition(new SteeringVector(embd, directions, hints.FirstOrDefault().ModelHint, provenance), warnings);
    }

    private static string? Shared(IReadOnlyList<(SteeringVector Vector, float Weight)> terms, Func<VectorProvenance, string?> field)
    {
        var first = field(terms[0].Vector.Provenance);
        return terms.All(t => field(t.Vector.Provenance) == first) ? first : null;
    }

    private static string Number(float value) => value.ToString(CultureInfo.InvariantCulture);
}
