using System.Numerics.Tensors;
using LlamaSteer.Capture;
using LlamaSteer.Datasets;
using LlamaSteer.Generation;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;
using LlamaSteer.Steering.Contextual;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Steering;

/// <summary>CLAS: the coefficient's math, fitting from labelled examples, the parameter file beside the vector, and steering with it.</summary>
[TestFixture]
public class ClasTests
{
    private LlamaModel _model = null!;
    private SteeringVector _vector = null!;
    private LabelledPromptSet _girls = null!;
    private string _dir = null!;

    private static string Datasets => Path.Combine(TestPaths.RepoRoot, "vectors", "datasets");

    [OneTimeSetUp]
    public void Load()
    {
        _model = SharedModel.Model;
        _vector = SharedModel.Vector("tinystories-girl-boy");
        _girls = LabelledPromptSet.Load(Path.Combine(Datasets, "conditions", "girl-prompts.jsonl"));
        _dir = TestPaths.NewTempDirectory();
    }

    [OneTimeTearDown]
    public void Free()
    {
        Directory.Delete(_dir, recursive: true);
    }

    private CaptureItem[] Items(IEnumerable<string> prompts) => prompts.Select(p => new CaptureItem(_model.Tokenize(p), 1)).ToArray();

    /// <summary>CLAS fitted to open on stories about a girl (label 1) and stay shut on stories about a boy (label 0), on the fit split.</summary>
    private ClasParameters FitOnGirls(ClasFitOptions? options = null) =>
        ClasFitter.Fit(_model, _vector, Items(_girls.Select("fit", true)), Items(_girls.Select("fit", false)), (options ?? new ClasFitOptions()) with { Threads = 1 });

    [Test]
    public void CoefficientIsTheClippedAffineFunctionOfTheHiddenState()
    {
        var w = new[] { 0.5f, -1f, 2f };
        var s = new LinearContextualStrength(3, [new ClasLayer(2, w, 0.25f)], min: -1, max: 3);
        Assert.Multiple(() =>
        {
            Assert.That(s.Coefficient(2, [1, 1, 1]), Is.EqualTo(0.5f - 1 + 2 + 0.25f));
            Assert.That(s.Coefficient(2, [0, 0, 0]), Is.EqualTo(0.25f));
            Assert.That(s.Coefficient(2, [10, 0, 0]), Is.EqualTo(3f), "clipped at the top");
            Assert.That(s.Coefficient(2, [0, 10, 0]), Is.EqualTo(-1f), "clipped at the bottom");
            Assert.That(s.RawCoefficient(2, [0, 10, 0]), Is.EqualTo(-9.75f));
            Assert.That(s.HasLayer(2), Is.True);
            Assert.That(s.HasLayer(1) || s.HasLayer(3) || s.HasLayer(-1), Is.False);
            Assert.That(() => s.Coefficient(1, [1, 1, 1]), Throws.ArgumentException);
        });
        w[0] = 100;
        Assert.That(s.Coefficient(2, [1, 0, 0]), Is.EqualTo(0.75f), "the parameters were copied in");
    }

    [Test]
    public void CoefficientDoesNotAllocate()
    {
        var s = new LinearContextualStrength(64, [new ClasLayer(1, Enumerable.Repeat(0.01f, 64).ToArray(), 0.1f)]);
        var h = Enumerable.Range(0, 64).Select(i => (float)i).ToArray();
        s.Coefficient(1, h);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var sum = 0f;
        for (var i = 0; i < 1000; i++) sum += s.Coefficient(1, h);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        Assert.That(sum, Is.GreaterThan(0));
    }

    [Test]
    public void InvalidParametersAreRefused()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new LinearContextualStrength(3, []), Throws.ArgumentException);
            Assert.That(() => new LinearContextualStrength(3, [new ClasLayer(1, new float[2], 0)]), Throws.ArgumentException.With.Message.Contains("n_embd"));
            Assert.That(() => new LinearContextualStrength(3, [new ClasLayer(1, [0, float.NaN, 0], 0)]), Throws.ArgumentException.With.Message.Contains("non-finite"));
            Assert.That(() => new LinearContextualStrength(3, [new ClasLayer(1, new float[3], 0), new ClasLayer(1, new float[3], 0)]), Throws.ArgumentException.With.Message.Contains("twice"));
            Assert.That(() => new LinearContextualStrength(3, [new ClasLayer(1, new float[3], 0)], min: 1, max: 0), Throws.ArgumentException.With.Message.Contains("clip range"));
        });
    }

    [Test]
    public void PrimalAndDualSolvesAgree()
    {
        var rng = new Random(7);
        float[] Rows(int n, int d, float shift) => Enumerable.Range(0, n * d).Select(i => (float)(rng.NextDouble() - 0.5) + (i % d == 0 ? shift : 0)).ToArray();
        var wanted = Rows(5, 8, 1);
        var unwanted = Rows(9, 8, -1);
        var (wp, bp) = ClasFitter.FitLayer(wanted, unwanted, 8, 1, 0.1f, dual: false);
        var (wd, bd) = ClasFitter.FitLayer(wanted, unwanted, 8, 1, 0.1f, dual: true);
        Assert.That(wd, Is.EqualTo(wp).Within(1e-4f));
        Assert.That(bd, Is.EqualTo(bp).Within(1e-4f));
    }

    [Test]
    public void FitReachesTheTargetsWhenTheClassesSeparate()
    {
        // Two clouds apart along the first axis: with a light ridge the fit puts each near its target.
        var rng = new Random(11);
        float[] Rows(int n, float centre) => Enumerable.Range(0, n * 4).Select(i => (i % 4 == 0 ? centre : 0) + 0.01f * (float)(rng.NextDouble() - 0.5)).ToArray();
        var (w, b) = ClasFitter.FitLayer(Rows(6, 2), Rows(30, -2), 4, 1.5f, 1e-4f);
        var s = new LinearContextualStrength(4, [new ClasLayer(0, w, b)], 0, 1.5f);
        Assert.That(s.RawCoefficient(0, [2, 0, 0, 0]), Is.EqualTo(1.5f).Within(0.02f));
        Assert.That(s.RawCoefficient(0, [-2, 0, 0, 0]), Is.EqualTo(0f).Within(0.02f));
    }

    [Test]
    public void FittedCoefficientIsHigherWhereTheBehaviourIsWantedOnHeldOutStates()
    {
        var clas = FitOnGirls();
        var layers = LayerSet.Of(_vector.Layers);
        using var capturer = new ActivationCapturer(_model, 1);
        var girls = capturer.Capture(Items(_girls.Select("test", true)), layers, CapturePositions.AllTokens);
        var boys = capturer.Capture(Items(_girls.Select("test", false)), layers, CapturePositions.AllTokens);
        foreach (var layer in layers.Layers)
        {
            double Mean(CapturedActivations a) => Enumerable.Range(0, a.RowCount).Average(r => clas.Strength.Coefficient(layer, a.Row(layer, r)));
            var (g, b) = (Mean(girls), Mean(boys));
            TestContext.Out.WriteLine($"layer {layer}: mean coefficient {g:F3} on held-out girl stories, {b:F3} on boy stories");
            // Per token, with the stories' shared openings and function words in both classes, the gap is
            // modest on layers 1-3 (about 0.08 on stories260K) and larger on layer 4 (about 0.27).
            Assert.That(g, Is.GreaterThan(b + 0.05), $"layer {layer}");
        }
    }

    [Test]
    public void ParametersRoundTripBesideTheVector()
    {
        var clas = FitOnGirls();
        var vectorPath = Path.Combine(_dir, "girl.gguf");
        ControlVectorFile.Write(_vector, vectorPath);
        var path = ClasParameters.PathBeside(vectorPath);
        Assert.That(Path.GetFileName(path), Is.EqualTo("girl.clas.gguf"));
        clas.Save(path);

        var vector = ControlVectorFile.Read(vectorPath);
        var loaded = ClasParameters.Load(path, vector);
        Assert.That(loaded.VectorFingerprint, Is.EqualTo(clas.VectorFingerprint));
        Assert.That(loaded.Objective, Is.EqualTo(clas.Objective));
        Assert.That(loaded.Strength.Layers, Is.EqualTo(clas.Strength.Layers));
        Assert.That((loaded.Strength.Min, loaded.Strength.Max), Is.EqualTo((clas.Strength.Min, clas.Strength.Max)));
        foreach (var layer in clas.Strength.Layers)
        {
            Assert.That(loaded.Strength.Weights(layer).ToArray(), Is.EqualTo(clas.Strength.Weights(layer).ToArray()));
            Assert.That(loaded.Strength.Bias(layer), Is.EqualTo(clas.Strength.Bias(layer)));
        }
        Assert.That(Directory.GetFiles(_dir).Where(f => Path.GetFileName(f).StartsWith('.')), Is.Empty, "no temporary file left behind");
    }

    [Test]
    public void ParametersOfAnotherVectorAreRefused()
    {
        var path = Path.Combine(_dir, "refuse.clas.gguf");
        FitOnGirls().Save(path);
        var message = Assert.Throws<ClasFormatException>(() => ClasParameters.Load(path, _vector.Scale(1.01f)))!.Message;
        Assert.That(message, Does.Contain(path).And.Contain("another vector"));
        Assert.That(() => FitOnGirls().Term(_vector.Scale(2)), Throws.ArgumentException.With.Message.Contains("another vector"));
    }

    [Test]
    public void ParametersOfAnotherWidthAreRefused()
    {
        var narrow = new SteeringVector(32, new Dictionary<int, float[]> { [1] = Enumerable.Repeat(1f, 32).ToArray() });
        var clas = new ClasParameters(new LinearContextualStrength(32, [new ClasLayer(1, new float[32], 0)]), ClasParameters.Fingerprint(narrow));
        var path = Path.Combine(_dir, "narrow.clas.gguf");
        clas.Save(path);
        Assert.That(ClasParameters.Load(path, narrow).Strength.EmbeddingSize, Is.EqualTo(32));
        var message = Assert.Throws<ClasFormatException>(() => ClasParameters.Load(path, _vector))!.Message;
        Assert.That(message, Does.Contain(path).And.Contain("n_embd 32").And.Contain("64"));
    }

    [Test]
    public void ParametersMissingASteeredLayerAreRefused()
    {
        var path = Path.Combine(_dir, "partial.clas.gguf");
        FitOnGirls(new ClasFitOptions { Layers = LayerSet.Range(3, 4) }).Save(path);
        var message = Assert.Throws<ClasFormatException>(() => ClasParameters.Load(path, _vector))!.Message;
        Assert.That(message, Does.Contain(path).And.Contain("layer(s) 1-2"));
        Assert.That(ClasParameters.Load(path, _vector, LayerSet.Range(3, 4)).Strength.Layers, Is.EqualTo(new[] { 3, 4 }));
        // A plan that steers a layer without parameters is refused before decoding.
        var plan = new SteeringPlan([ClasParameters.Load(path, _vector, LayerSet.Range(3, 4)).Term(_vector, 1f)]);
        Assert.That(() => plan.Validate(_model.EmbeddingSize, _model.LayerCount, 256), Throws.ArgumentException.With.Message.Contains("no parameters for layer 1"));
    }

    [Test]
    public void MalformedFilesAreRefusedNamingTheFile()
    {
        var missing = Path.Combine(_dir, "nothing.clas.gguf");
        Assert.That(() => ClasParameters.Load(missing, _vector), Throws.TypeOf<ClasFormatException>().With.Message.Contains(missing));
        var vectorPath = Path.Combine(_dir, "not-clas.gguf");
        ControlVectorFile.Write(_vector, vectorPath);
        Assert.That(() => ClasParameters.Load(vectorPath, _vector), Throws.TypeOf<ClasFormatException>().With.Message.Contains("not a CLAS parameter file"));
    }

    private InferenceContext Context() => _model.CreateContext(new ContextOptions { Threads = 1, EnableGraphHooks = true, ContextSize = 256 });

    [Test]
    public void ClasTermChangesGenerationAndZeroParametersEqualNoSteering()
    {
        using var ctx = Context();
        var gen = new TextGenerator(ctx);
        var greedy = new GenerationOptions { MaxTokens = 24, Sampling = SamplingOptions.Greedy };
        const string prompt = "Once upon a time, there was a little";
        var plain = gen.Generate(prompt, greedy);

        var fitted = FitOnGirls();
        var steered = gen.Generate(prompt, greedy with { Plan = new SteeringPlan([fitted.Term(_vector, -4f)]) });
        Assert.That(steered.Text, Is.Not.EqualTo(plain.Text), "a fitted CLAS term changed nothing");

        var zero = new ClasParameters(
            new LinearContextualStrength(_model.EmbeddingSize, _vector.Layers.Select(l => new ClasLayer(l, new float[_model.EmbeddingSize], 0))),
            ClasParameters.Fingerprint(_vector));
        var none = gen.Generate(prompt, greedy with { Plan = new SteeringPlan([zero.Term(_vector, 4f)]) });
        Assert.That(none.Tokens, Is.EqualTo(plain.Tokens));
    }

    [Test]
    public void ConstantCoefficientOfOneEqualsTheFixedStrength()
    {
        using var ctx = Context();
        var gen = new TextGenerator(ctx);
        var greedy = new GenerationOptions { MaxTokens = 24, Sampling = SamplingOptions.Greedy };
        const string prompt = "Once upon a time, there was a little";
        var one = new ClasParameters(
            new LinearContextualStrength(_model.EmbeddingSize, _vector.Layers.Select(l => new ClasLayer(l, new float[_model.EmbeddingSize], 1))),
            ClasParameters.Fingerprint(_vector));
        var gated = gen.Generate(prompt, greedy with { Plan = new SteeringPlan([one.Term(_vector, -1.5f)]) });
        var fixedStrength = gen.Generate(prompt, greedy with { Plan = new SteeringPlan([new SteeringTerm(_vector, -1.5f)]) });
        var plain = gen.Generate(prompt, greedy);
        Assert.That(gated.Tokens, Is.EqualTo(fixedStrength.Tokens));
        Assert.That(gated.Tokens, Is.Not.EqualTo(plain.Tokens), "the strength is too weak for the comparison to mean anything");
    }

    [Test]
    public void CoefficientFollowsTheContextInsideTheCallback()
    {
        // The coefficient PlanHook uses is the one computed from each row: with w = the unit direction,
        // b = 0 and no clip, the add moves each row by (h·û)·v, which is read back after the plan.
        const int layer = 3;
        var tokens = _model.Tokenize("Lily and Tim went to the park");
        var unit = _vector.Direction(layer).ToArray();
        TensorPrimitives.Divide(unit, TensorPrimitives.Norm(unit), unit);
        var strength = new LinearContextualStrength(_model.EmbeddingSize, [new ClasLayer(layer, unit, 0)], -1e6f, 1e6f);
        var plan = new SteeringPlan([new SteeringTerm(_vector, 0.5f, LayerSet.Of([layer])) { Contextual = strength }]);
        var steered = PlanObserver.LayerRowsAfter(_model, plan, tokens, layer, tokens.Length);
        var plain = PlanObserver.LayerRowsAfter(_model, SteeringPlan.None, tokens, layer, tokens.Length);
        var embd = _model.EmbeddingSize;
        for (var r = 0; r < tokens.Length; r++)
        {
            var h = plain.AsSpan(r * embd, embd);
            var expected = new float[embd];
            TensorPrimitives.MultiplyAdd(_vector.Direction(layer), 0.5f * TensorPrimitives.Dot(h, unit), h, expected);
            Assert.That(steered.AsSpan(r * embd, embd).ToArray(), Is.EqualTo(expected).Within(1e-3f), $"row {r}");
        }
    }
}
