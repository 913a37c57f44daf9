using System.Globalization;
using LlamaSteer.Capture;
using LlamaSteer.Models;
using LlamaSteer.Vectors;
using MathNet.Numerics.LinearAlgebra;

namespace LlamaSteer.Steering.Contextual;

/// <summary>How <see cref="ClasFitter"/> fits CLAS parameters.</summary>
public sealed record ClasFitOptions
{
    /// <summary>The coefficient wanted where the behaviour is wanted (label 1); where it is not (label 0) the target is 0. The term's strength multiplies the coefficient, so 1 makes CLAS a gate on a fixed strength.</summary>
    public float Target { get; init; } = 1;

    /// <summary>
    /// Ridge penalty relative to the states' scale: λ = Ridge × (the class-weighted variance of the hidden
    /// state, averaged over its n_embd components), so the same value suits models of any activation size.
    /// 0 is taken as 1e-6, which keeps the solve well posed. On stories260K, 0.001 to 0.1 fit alike; 1 and
    /// more shrink the coefficient towards its mean.
    /// </summary>
    public float Ridge { get; init; } = 0.1f;

    /// <summary>Clip range of the coefficient; null: [min(0, Target), max(0, Target)].</summary>
    public float? ClipMin { get; init; }

    /// <summary>Upper end of the clip range; null: max(0, Target).</summary>
    public float? ClipMax { get; init; }

    /// <summary>Which positions of each example give training rows (every completion token by default: the coefficient is per token).</summary>
    public CapturePositions Positions { get; init; } = CapturePositions.AllTokens;

    /// <summary>Layers to fit; null: every layer of the vector.</summary>
    public LayerSet? Layers { get; init; }

    public int? Threads { get; init; }

    internal float Low => ClipMin ?? Math.Min(0, Target);
    internal float High => ClipMax ?? Math.Max(0, Target);

    /// <exception cref="ArgumentException">A non-finite or zero target, a negative or non-finite ridge, or an inverted clip range.</exception>
    public ClasFitOptions Validate()
    {
        if (!float.IsFinite(Target) || Target == 0) throw new ArgumentException($"The CLAS target {Target} must be a finite, non-zero coefficient.");
        if (!float.IsFinite(Ridge) || Ridge < 0) throw new ArgumentException($"The ridge penalty {Ridge} must be finite and not negative.");
        if (!float.IsFinite(Low) || !float.IsFinite(High) || High < Low) throw new ArgumentException($"The clip range [{Low}, {High}] is not a finite, non-inverted range.");
        return this;
    }
}

/// <summary>
/// Learns CLAS parameters from a few labelled examples: hidden states where the behaviour is wanted
/// (label 1, target coefficient <see cref="ClasFitOptions.Target"/>) and where it is not (label 0,
/// target 0), one linear map per layer. Deterministic (a closed-form solve); thread-safe.
/// </summary>
/// <remarks>
/// The objective, per layer, over rows h_i with targets y_i:
/// <code>
///   minimise over w, b:  Σ_i ω_i (h_i·w + b − y_i)²  +  λ |w|²
/// </code>
/// with class-balanced weights (ω_i = 1 / (2 × the row count of i's class), so a class of many rows, such
/// as every token of a long neutral text, does not outweigh a class of few) and no penalty on b. Least
/// squares, not logistic regression: the coefficient is used as h·w + b itself (clipped), so the fit
/// targets that value directly, and a ridge problem has a unique closed-form solution: no learning rate,
/// no iterations, no randomness. The solve is the primal (d × d) system when there are at least as many
/// rows as n_embd, the dual (n × n) one otherwise; both give the same w.
/// </remarks>
public static class ClasFitter
{
    /// <summary>Captures the examples' hidden states on the vector's layers and fits each layer.</summary>
    /// <param name="wanted">Examples where the behaviour is wanted (their completion tokens, per <see cref="ClasFitOptions.Positions"/>).</param>
    /// <param name="unwanted">Examples where it is not.</param>
    /// <exception cref="ArgumentException">No examples of a class, invalid options, or layers the vector or model lacks.</exception>
    public static ClasParameters Fit(
        LlamaModel model,
        SteeringVector vector,
        IReadOnlyList<CaptureItem> wanted,
        IReadOnlyList<CaptureItem> unwanted,
        ClasFitOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vector);
        options = (options ?? new ClasFitOptions()).Validate();
        if (wanted.Count == 0 || unwanted.Count == 0) throw new ArgumentException("CLAS needs examples of both kinds: where the behaviour is wanted and where it is not.");
        if (vector.EmbeddingSize != model.EmbeddingSize)
            throw new ArgumentException($"The vector has n_embd {vector.EmbeddingSize} but the model has {model.EmbeddingSize}.");
        var layers = LayersOf(vector, options);
        var longest = wanted.Concat(unwanted).Max(i => i.Tokens.Length);
        using var capturer = new ActivationCapturer(model, options.Threads, maxTokensPerDecode: Math.Max(512, longest));
        var w = capturer.Capture(wanted, layers, options.Positions, cancellationToken: cancellationToken);
        var u = capturer.Capture(unwanted, layers, options.Positions, cancellationToken: cancellationToken);
        return Fit(vector, w, u, options);
    }

    /// <summary>Fits each layer from states already captured (every row of <paramref name="wanted"/> is label 1, every row of <paramref name="unwanted"/> label 0).</summary>
    /// <exception cref="ArgumentException">Empty captures, invalid options, or layers missing from the captures or the vector.</exception>
    /// <exception cref="InvalidOperationException">The states of a layer do not vary at all.</exception>
    public static ClasParameters Fit(SteeringVector vector, CapturedActivations wanted, CapturedActivations unwanted, ClasFitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(vector);
        options = (options ?? new ClasFitOptions()).Validate();
        if (wanted.RowCount == 0 || unwanted.RowCount == 0) throw new ArgumentException("CLAS needs rows of both kinds.");
        if (wanted.EmbeddingSize != vector.EmbeddingSize || unwanted.EmbeddingSize != vector.EmbeddingSize)
            throw new ArgumentException($"The captured states are {wanted.EmbeddingSize} (wanted) and {unwanted.EmbeddingSize} (unwanted) wide but the vector's n_embd is {vector.EmbeddingSize}.");
        var layers = LayersOf(vector, options);
        var fitted = layers.Layers.Select(l =>
        {
            if (!wanted.Layers.Contains(l) || !unwanted.Layers.Contains(l)) throw new ArgumentException($"Layer {l} was not captured.");
            var (w, b) = FitLayer(wanted.Layer(l), unwanted.Layer(l), vector.EmbeddingSize, options.Target, options.Ridge);
            return new ClasLayer(l, w, b);
        }).ToList();
        var strength = new LinearContextualStrength(vector.EmbeddingSize, fitted, options.Low, options.High);
        var objective = string.Create(CultureInfo.InvariantCulture,
            $"ridge; target {options.Target}; ridge {options.Ridge}; positions {options.Positions}; rows {wanted.RowCount} wanted, {unwanted.RowCount} unwanted");
        return new ClasParameters(strength, ClasParameters.Fingerprint(vector), objective);
    }

    private static LayerSet LayersOf(SteeringVector vector, ClasFitOptions options)
    {
        if (options.Layers is null) return LayerSet.Of(vector.Layers);
        var missing = options.Layers.Layers.Where(l => !vector.HasLayer(l)).ToArray();
        if (missing.Length > 0) throw new ArgumentException($"The vector has no direction for layer(s) {LayerSet.Of(missing)} (it has {string.Join(",", vector.Layers)}).");
        return options.Layers;
    }

    /// <summary>Solves the weighted ridge problem of the remarks for one layer; rows are row-major, n_embd wide.</summary>
    internal static (float[] Weights, float Bias) FitLayer(ReadOnlySpan<float> wanted, ReadOnlySpan<float> unwanted, int embd, float target, float ridge, bool? dual = null)
    {
        var nw = wanted.Length / embd;
        var nu = unwanted.Length / embd;
        var n = nw + nu;
        var x = Matrix<double>.Build.Dense(n, embd);
        var y = Vector<double>.Build.Dense(n);
        var omega = new double[n];
        for (var i = 0; i < n; i++)
        {
            var row = i < nw ? wanted.Slice(i * embd, embd) : unwanted.Slice((i - nw) * embd, embd);
            for (var k = 0; k < embd; k++) x[i, k] = row[k];
            y[i] = i < nw ? target : 0;
            omega[i] = i < nw ? 0.5 / nw : 0.5 / nu;
        }
        // Centre on the weighted means: the bias then falls out as b = ȳ − x̄·w.
        var meanX = Vector<double>.Build.Dense(embd);
        for (var i = 0; i < n; i++) meanX.Add(x.Row(i) * omega[i], meanX);
        var meanY = omega.Select((o, i) => o * y[i]).Sum();
        // Scale rows by √ω: the weighted problem becomes plain ridge on A = Ω^½ (X − x̄), r = Ω^½ (y − ȳ).
        var a = Matrix<double>.Build.Dense(n, embd);
        var r = Vector<double>.Build.Dense(n);
        for (var i = 0; i < n; i++)
        {
            var s = Math.Sqrt(omega[i]);
            for (var k = 0; k < embd; k++) a[i, k] = s * (x[i, k] - meanX[k]);
            r[i] = s * (y[i] - meanY);
        }
        var variance = a.FrobeniusNorm();
        variance = variance * variance / embd;
        if (variance == 0 || !double.IsFinite(variance))
            throw new InvalidOperationException("The hidden states do not vary: no coefficient can be fitted.");
        var lambda = Math.Max(ridge, 1e-6) * variance;

        Vector<double> w;
        if (dual ?? n < embd)
        {
            var gram = a * a.Transpose();
            for (var i = 0; i < n; i++) gram[i, i] += lambda;
            w = a.TransposeThisAndMultiply(gram.Cholesky().Solve(r));
        }
        else
        {
            var normal = a.TransposeThisAndMultiply(a);
            for (var k = 0; k < embd; k++) normal[k, k] += lambda;
            w = normal.Cholesky().Solve(a.TransposeThisAndMultiply(r));
        }
        var bias = meanY - w.DotProduct(meanX);
        return (w.Select(v => (float)v).ToArray(), (float)bias);
    }
}
