using LlamaSteer.Capture;
using LlamaSteer.Steering;
using LlamaSteer.Steering.Contextual;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Steering;

/// <summary>
/// The CLAS ridge fit against an independent solve of its documented objective (the weighted least squares with an
/// unpenalised bias, written as one (n_embd + 1)-square system of normal equations, no centring), the options'
/// defaults and refusals, and the fit's argument checks with their messages. No model is decoded.
/// </summary>
[TestFixture]
public class ClasFitContractTests
{
    /// <summary>
    /// Minimises Σ ω_i (h_i·w + b − y_i)² + λ|w|² by the normal equations in (w, b) directly:
    /// [XᵀΩX + λI, XᵀΩ1; 1ᵀΩX, 1ᵀΩ1] (w; b) = (XᵀΩy; 1ᵀΩy), with ω_i = 1 / (2 × the size of i's class) and
    /// λ = max(ridge, 1e-6) × Σ ω_i |h_i − h̄|² / n_embd (h̄ the ω-weighted mean), as ClasFitOptions.Ridge documents.
    /// </summary>
    private static (double[] Weights, double Bias) Reference(float[] wanted, float[] unwanted, int embd, double target, double ridge)
    {
        var rows = new List<(double[] H, double Y, double Omega)>();
        int nw = wanted.Length / embd, nu = unwanted.Length / embd;
        for (var i = 0; i < nw; i++) rows.Add((wanted.Skip(i * embd).Take(embd).Select(v => (double)v).ToArray(), target, 0.5 / nw));
        for (var i = 0; i < nu; i++) rows.Add((unwanted.Skip(i * embd).Take(embd).Select(v => (double)v).ToArray(), 0, 0.5 / nu));

        var mean = new double[embd];
        foreach (var (h, _, o) in rows)
            for (var k = 0; k < embd; k++) mean[k] += o * h[k];
        var variance = rows.Sum(r => r.Omega * r.H.Select((v, k) => (v - mean[k]) * (v - mean[k])).Sum()) / embd;
        var lambda = Math.Max(ridge, 1e-6) * variance;

        var m = embd + 1;
        var system = new double[m, m + 1];
        foreach (var (h, y, o) in rows)
        {
            var z = h.Append(1.0).ToArray();
            for (var p = 0; p < m; p++)
            {
                for (var q = 0; q < m; q++) system[p, q] += o * z[p] * z[q];
                system[p, m] += o * z[p] * y;
            }
        }
        for (var k = 0; k < embd; k++) system[k, k] += lambda;
        var solution = Solve(system, m);
        return (solution.Take(embd).ToArray(), solution[embd]);
    }

    /// <summary>Gauss-Jordan elimination with partial pivoting on an augmented m × (m + 1) matrix.</summary>
    private static double[] Solve(double[,] a, int m)
    {
        for (var c = 0; c < m; c++)
        {
            var pivot = Enumerable.Range(c, m - c).MaxBy(r => Math.Abs(a[r, c]));
            for (var j = 0; j <= m; j++) (a[c, j], a[pivot, j]) = (a[pivot, j], a[c, j]);
            for (var r = 0; r < m; r++)
            {
                if (r == c) continue;
                var f = a[r, c] / a[c, c];
                for (var j = c; j <= m; j++) a[r, j] -= f * a[c, j];
            }
        }
        return Enumerable.Range(0, m).Select(r => a[r, m] / a[r, r]).ToArray();
    }

    private static float[] Noise(Random rng, int count, float offset) => Enumerable.Range(0, count).Select(_ => offset + (float)(rng.NextDouble() * 2 - 1)).ToArray();

    [Test]
    public void OneDimensionalFitMatchesTheHandSolvedRidge()
    {
        // Rows 5 (wanted, y = 1) and 1 (unwanted, y = 0), weights ½ each: mean 3, variance ½(2² + 2²) = 4, λ = 4 × ridge;
        // centred, w = Σ ω (x − 3)(y − ½) / (Σ ω (x − 3)² + λ) = 1 / (4 + 4 ridge) and b = ½ − 3w. Ridge 1: w = b = 0.125.
        var (w, b) = ClasFitter.FitLayer([5f], [1f], 1, 1, 1);
        Assert.That(w[0], Is.EqualTo(0.125f).Within(1e-6f));
        Assert.That(b, Is.EqualTo(0.125f).Within(1e-6f));
    }

    [TestCase(3, 5, 4, 0.1f, 1.5f, TestName = "FitMatchesTheNormalEquationsOfTheObjective(more rows than n_embd)")]
    [TestCase(1, 2, 6, 0.5f, 2f, TestName = "FitMatchesTheNormalEquationsOfTheObjective(fewer rows than n_embd)")]
    [TestCase(4, 2, 3, 2f, -1f, TestName = "FitMatchesTheNormalEquationsOfTheObjective(a strong ridge and a negative target)")]
    public void FitMatchesTheNormalEquationsOfTheObjective(int nw, int nu, int embd, float ridge, float target)
    {
        // Classes of unequal sizes away from the origin: the class weights, the centring and the bias all matter.
        var rng = new Random(nw * 100 + nu * 10 + embd);
        var wanted = Noise(rng, nw * embd, 3);
        var unwanted = Noise(rng, nu * embd, 1.5f);
        var (ew, eb) = Reference(wanted, unwanted, embd, target, ridge);
        foreach (var dual in new bool?[] { null, true, false })
        {
            var (w, b) = ClasFitter.FitLayer(wanted, unwanted, embd, target, ridge, dual);
            Assert.That(w.Select(v => (double)v), Is.EqualTo(ew).Within(1e-4), $"weights, dual: {dual}");
            Assert.That((double)b, Is.EqualTo(eb).Within(1e-4), $"bias, dual: {dual}");
        }
    }

    [Test]
    public void RidgeIsRelativeToTheScaleOfTheStates()
    {
        // λ scales with the states' variance, so scaling every state by c scales w by 1/c and leaves b and every
        // fitted coefficient as they were, at a ridge strong enough for λ to matter.
        var rng = new Random(3);
        var wanted = Noise(rng, 3 * 4, 2);
        var unwanted = Noise(rng, 4 * 4, 0);
        var (w, b) = ClasFitter.FitLayer(wanted, unwanted, 4, 1, 1);
        var (w10, b10) = ClasFitter.FitLayer(wanted.Select(v => v * 10).ToArray(), unwanted.Select(v => v * 10).ToArray(), 4, 1, 1);
        Assert.That(w10.Select(v => v * 10), Is.EqualTo(w).Within(1e-4f));
        Assert.That(b10, Is.EqualTo(b).Within(1e-4f));
    }

    [Test]
    public void ZeroRidgeIsTakenAsTheSmallestRidge()
    {
        var rng = new Random(5);
        var wanted = Noise(rng, 2 * 3, 1);
        var unwanted = Noise(rng, 3 * 3, -1);
        Assert.That(ClasFitter.FitLayer(wanted, unwanted, 3, 1, 0).Weights, Is.EqualTo(ClasFitter.FitLayer(wanted, unwanted, 3, 1, 1e-6f).Weights));
    }

    [Test]
    public void StatesThatDoNotVaryAreRefused()
    {
        Assert.That(() => ClasFitter.FitLayer([1f, 2f], [1f, 2f], 2, 1, 0.1f),
            Throws.InvalidOperationException.With.Message.EqualTo("The hidden states do not vary: no coefficient can be fitted."));
    }

    [TestCase(1f, null, null, 0f, 1f)]
    [TestCase(-2f, null, null, -2f, 0f)]
    [TestCase(1f, 0.2f, 0.9f, 0.2f, 0.9f)]
    [TestCase(-2f, -1f, 0.5f, -1f, 0.5f)]
    public void ClipRangeDefaultsToBetweenZeroAndTheTarget(float target, float? clipMin, float? clipMax, float low, float high)
    {
        var options = new ClasFitOptions { Target = target, ClipMin = clipMin, ClipMax = clipMax }.Validate();
        Assert.That((options.Low, options.High), Is.EqualTo((low, high)));
    }

    [Test]
    public void OptionsAtTheEdgeOfTheirRangeAreAccepted()
    {
        Assert.That(() => new ClasFitOptions { Ridge = 0 }.Validate(), Throws.Nothing);
        Assert.That(() => new ClasFitOptions { ClipMin = 0.5f, ClipMax = 0.5f }.Validate(), Throws.Nothing);
    }

    private static IEnumerable<TestCaseData> InvalidOptions()
    {
        TestCaseData Case(string name, ClasFitOptions options, string message) => new TestCaseData(options, message).SetName($"InvalidOptionsAreRefused({name})");
        yield return Case("zero target", new ClasFitOptions { Target = 0 }, "The CLAS target 0 must be a finite, non-zero coefficient.");
        yield return Case("infinite target", new ClasFitOptions { Target = float.PositiveInfinity }, "must be a finite, non-zero coefficient.");
        yield return Case("negative ridge", new ClasFitOptions { Ridge = -0.5f }, "The ridge penalty -0.5 must be finite and not negative.");
        yield return Case("NaN ridge", new ClasFitOptions { Ridge = float.NaN }, "must be finite and not negative.");
        yield return Case("inverted clip range", new ClasFitOptions { ClipMin = 2, ClipMax = 1 }, "The clip range [2, 1] is not a finite, non-inverted range.");
        yield return Case("NaN low end", new ClasFitOptions { ClipMin = float.NaN }, "is not a finite, non-inverted range.");
        yield return Case("infinite high end", new ClasFitOptions { ClipMax = float.PositiveInfinity }, "is not a finite, non-inverted range.");
    }

    [TestCaseSource(nameof(InvalidOptions))]
    public void InvalidOptionsAreRefused(ClasFitOptions options, string message)
    {
        Assert.That(() => options.Validate(), Throws.ArgumentException.With.Message.EndsWith(message));
    }

    private static readonly SteeringVector Vector = new(2, new Dictionary<int, float[]> { [1] = [1, 0], [2] = [0, 1] });

    private static CapturedActivations Captured(int embd, int rows, params int[] layers)
    {
        var rng = new Random(rows * 10 + embd);
        return new CapturedActivations(LayerSet.Of(layers), embd, Enumerable.Range(0, rows).ToArray(),
            layers.ToDictionary(l => l, _ => Noise(rng, rows * embd, 0)), CapturePositions.AllTokens);
    }

    [Test]
    public void FitFromCapturesFitsEachRequestedLayerAndRecordsTheClipRange()
    {
        var clas = ClasFitter.Fit(Vector, Captured(2, 3, 1, 2), Captured(2, 4, 1, 2), new ClasFitOptions { Target = -2, Layers = LayerSet.Of([2]) });
        Assert.That(clas.Strength.Layers, Is.EqualTo(new[] { 2 }));
        Assert.That((clas.Strength.Min, clas.Strength.Max), Is.EqualTo((-2f, 0f)));
        Assert.That(clas.Objective, Is.EqualTo("ridge; target -2; ridge 0.1; positions AllTokens; rows 3 wanted, 4 unwanted"));
    }

    private static IEnumerable<TestCaseData> RefusedCaptures()
    {
        TestCaseData Case(string name, Func<ClasParameters> fit, string message) => new TestCaseData(fit, message).SetName($"FitFromCapturesRefuses({name})");
        yield return Case("no wanted rows", () => ClasFitter.Fit(Vector, Captured(2, 0, 1, 2), Captured(2, 3, 1, 2)), "CLAS needs rows of both kinds.");
        yield return Case("no unwanted rows", () => ClasFitter.Fit(Vector, Captured(2, 3, 1, 2), Captured(2, 0, 1, 2)), "CLAS needs rows of both kinds.");
        yield return Case("unwanted states of another width", () => ClasFitter.Fit(Vector, Captured(2, 3, 1, 2), Captured(3, 3, 1, 2)),
            "The captured states are 2 (wanted) and 3 (unwanted) wide but the vector's n_embd is 2.");
        yield return Case("wanted states of another width", () => ClasFitter.Fit(Vector, Captured(3, 3, 1, 2), Captured(2, 3, 1, 2)),
            "The captured states are 3 (wanted) and 2 (unwanted) wide but the vector's n_embd is 2.");
        yield return Case("a layer the unwanted capture lacks", () => ClasFitter.Fit(Vector, Captured(2, 3, 1, 2), Captured(2, 3, 1)), "Layer 2 was not captured.");
        yield return Case("a layer the wanted capture lacks", () => ClasFitter.Fit(Vector, Captured(2, 3, 2), Captured(2, 3, 1, 2)), "Layer 1 was not captured.");
        yield return Case("a layer the vector lacks", () => ClasFitter.Fit(Vector, Captured(2, 3, 1, 2, 3), Captured(2, 3, 1, 2, 3), new ClasFitOptions { Layers = LayerSet.Range(2, 3) }),
            "The vector has no direction for layer(s) 3 (it has 1,2).");
    }

    [TestCaseSource(nameof(RefusedCaptures))]
    public void FitFromCapturesRefuses(Func<ClasParameters> fit, string message)
    {
        Assert.That(() => fit(), Throws.ArgumentException.With.Message.EqualTo(message));
    }

    [Test]
    public void FitFromExamplesRefusesBeforeCapturing()
    {
        var model = SharedModel.Model;
        var items = new[] { new CaptureItem(model.Tokenize("Lily went to the park."), 1) };
        var wide = SharedModel.RandomVector(1);
        var narrow = new SteeringVector(2, new Dictionary<int, float[]> { [1] = [1, 0] });
        Assert.Multiple(() =>
        {
            Assert.That(() => ClasFitter.Fit(model, wide, [], items), Throws.ArgumentException.With.Message.EqualTo("CLAS needs examples of both kinds: where the behaviour is wanted and where it is not."));
            Assert.That(() => ClasFitter.Fit(model, wide, items, []), Throws.ArgumentException.With.Message.EqualTo("CLAS needs examples of both kinds: where the behaviour is wanted and where it is not."));
            Assert.That(() => ClasFitter.Fit(model, narrow, items, items), Throws.ArgumentException.With.Message.EqualTo($"The vector has n_embd 2 but the model has {model.EmbeddingSize}."));
            Assert.That(() => ClasFitter.Fit(model, wide, items, items, new ClasFitOptions { Target = 0 }), Throws.ArgumentException.With.Message.Contains("target"));
            Assert.That(() => ClasFitter.Fit(null!, wide, items, items), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("model"));
            Assert.That(() => ClasFitter.Fit(model, null!, items, items), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("vector"));
            Assert.That(() => ClasFitter.Fit(null!, Captured(2, 3, 1), Captured(2, 3, 1)), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("vector"));
        });
    }
}
