using LlamaSteer.Steering;
using LlamaSteer.Vectors;
using static LlamaSteer.Core.Tests.Steering.HandMadeVectors;

namespace LlamaSteer.Core.Tests.Steering;

/// <summary>
/// What a vector term, llama.cpp's control-vector buffer, adjust-to-target terms and a contextual term's layers promise,
/// checked without a model: the refusals users read (each message exactly), and the buffer's layout and sums.
/// </summary>
[TestFixture]
public class TermContractTests
{
    private const int Embd = 3;
    private const int LayerCount = 5;


    private static readonly SteeringVector OnLayers1And2 = Vector((1, [1, 2, 3]), (2, [4, 5, 6]));

    private static string Refusal(VectorTerm term) =>
        Assert.Throws<ArgumentException>(() => term.Validate(Embd, LayerCount))!.Message;

    [Test]
    public void BadVectorTermsAreRefusedWithTheReason()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Refusal(new VectorTerm(OnLayers1And2, float.NaN, Name: "happy.gguf")),
                Is.EqualTo("The strength of happy.gguf is not a finite number (NaN)."));
            Assert.That(Refusal(new VectorTerm(OnLayers1And2, float.PositiveInfinity)),
                Does.StartWith("The strength of a vector is not a finite number ("));
            Assert.That(Refusal(new VectorTerm(new SteeringVector(4, new Dictionary<int, float[]> { [1] = [1, 0, 0, 0] }), 1f, Name: "wide.gguf")),
                Is.EqualTo("wide.gguf has n_embd 4 but the model has 3: it was made for another model."));
            Assert.That(Refusal(new VectorTerm(OnLayers1And2, 1f, LayerSet.Range(3, 5))),
                Is.EqualTo("Layers 3-5 are outside the model, which has layers 0-4."));
            Assert.That(Refusal(new VectorTerm(Vector((2, [1, 0, 0]), (5, [0, 1, 0]), (6, [0, 0, 1])), 1f, Name: "big.gguf")),
                Is.EqualTo("big.gguf has directions for layers 5-6 but the model has layers 0-4."));
            Assert.That(Refusal(new VectorTerm(OnLayers1And2, 1f, LayerSet.Of([3, 4]), "mood")),
                Is.EqualTo("mood has no direction on the chosen layers 3-4 (it has 1-2)."));
        });
    }

    [Test]
    public void ALayerFilterMayLeaveOutTheLayersAModelLacks()
    {
        var big = Vector((2, [1, 0, 0]), (LayerCount, [0, 1, 0]));

        Assert.Multiple(() =>
        {
            Assert.That(() => new VectorTerm(big, 1f, LayerSet.Of([2])).Validate(Embd, LayerCount), Throws.Nothing);
            Assert.That(new VectorTerm(big, 1f, LayerSet.Of([2])).EffectiveLayers, Is.EqualTo(new[] { 2 }));
            Assert.That(() => new VectorTerm(Vector((LayerCount - 1, [1, 0, 0])), 1f).Validate(Embd, LayerCount), Throws.Nothing, "the last layer");
            Assert.That(Refusal(new VectorTerm(big, 1f)), Is.EqualTo($"a vector has directions for layers {LayerCount} but the model has layers 0-4."));
        });
    }

    [Test]
    public void TheControlVectorBufferSumsEachTermTimesItsStrengthFromLayerOne()
    {
        var second = Vector((2, [1, 1, 1]), (3, [0, 0, 2]));
        var buffer = ControlVectorAdapter.Build(
            [new VectorTerm(OnLayers1And2, 2f), new VectorTerm(second, -0.5f, LayerSet.Of([2, 3, 4]))], Embd, LayerCount);

        Assert.Multiple(() =>
        {
            Assert.That((buffer.FirstLayer, buffer.LastLayer), Is.EqualTo((1, 3)));
            Assert.That(buffer.Data, Is.EqualTo(new[]
            {
                2f, 4f, 6f,                 // layer 1: 2 × (1, 2, 3)
                8f - 0.5f, 9.5f, 11.5f,     // layer 2: 2 × (4, 5, 6) − 0.5 × (1, 1, 1)
                0f, 0f, -1f,                // layer 3: −0.5 × (0, 0, 2)
            }));
        });
    }

    [Test]
    public void AnEmptyControlVectorBufferCoversNoLayer()
    {
        var buffer = ControlVectorAdapter.Build([], Embd, LayerCount);

        Assert.That((buffer.Data.Length, buffer.FirstLayer, buffer.LastLayer), Is.EqualTo((0, -1, -1)));
    }

    [Test]
    public void ATermOnLayerZeroCannotBeAControlVector()
    {
        var onZero = Vector((0, [1, 0, 0]), (1, [0, 1, 0]));

        Assert.Multiple(() =>
        {
            Assert.That(() => ControlVectorAdapter.Build([new VectorTerm(onZero, 1f, Name: "early.gguf")], Embd, LayerCount),
                Throws.ArgumentException.With.Message.EqualTo("early.gguf steers layer 0, which llama.cpp's control vectors cannot reach; choose layers from 1."));
            Assert.That(() => ControlVectorAdapter.Build([new VectorTerm(onZero, 1f)], Embd, LayerCount),
                Throws.ArgumentException.With.Message.StartsWith("A vector steers layer 0"));
            Assert.That(ControlVectorAdapter.Build([new VectorTerm(onZero, 1f, LayerSet.Of([1]))], Embd, LayerCount).FirstLayer, Is.EqualTo(1));
        });
    }

    [Test]
    public void AdjustToTargetNamesEachLayersTermAndRefusesWhatItCannotDo()
    {
        var calibrated = new SteeringVector(Embd, new Dictionary<int, float[]> { [1] = [1, 0, 0], [2] = [0, 1, 0] }, "llama",
            new VectorProvenance { Calibration = new Dictionary<int, LayerCalibration> { [1] = new(1.5f, -1f, 0.5f), [2] = new(2.5f, 0f, 1f) } });

        var terms = SteeringTerms.AdjustToTarget(calibrated, name: "lily");
        var unnamed = SteeringTerms.AdjustToTarget(calibrated);

        Assert.Multiple(() =>
        {
            Assert.That(terms.Select(t => (t.Name, t.Strength, t.Layers!.ToString(), t.Operator)),
                Is.EqualTo(new[] { ("lily@1", 1.5f, "1", SteeringOperator.Clamp), ("lily@2", 2.5f, "2", SteeringOperator.Clamp) }));
            Assert.That(unnamed.Select(t => t.Name), Is.EqualTo(new string?[] { null, null }));
            Assert.That(() => SteeringTerms.AdjustToTarget(null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("vector"));
            Assert.That(() => SteeringTerms.AdjustToTarget(calibrated, LayerSet.Of([3])),
                Throws.ArgumentException.With.Message.EqualTo("the vector has no direction on the layers 3 (it has 1-2)."));
            Assert.That(() => SteeringTerms.AdjustToTarget(OnLayers1And2, name: "raw"),
                Throws.ArgumentException.With.Message.StartsWith("raw has no calibration for layer(s) 1-2 (it has none)"));
        });
    }

    /// <summary>A contextual strength with parameters for some layers only.</summary>
    private sealed class LayersOnly(params int[] layers) : IContextualStrength
    {
        public bool HasLayer(int layer) => layers.Contains(layer);

        public float Coefficient(int layer, ReadOnlySpan<float> hidden) => 1f;
    }

    [Test]
    public void AContextualStrengthMustHaveParametersForEverySteeredLayer()
    {
        static SteeringPlan Plan(IContextualStrength c) =>
            new([new SteeringTerm(OnLayers1And2, 1f) { Name = "mood", Contextual = c }]);

        Assert.Multiple(() =>
        {
            Assert.That(() => Plan(new LayersOnly(1, 2)).Validate(Embd, LayerCount, 64), Throws.Nothing);
            Assert.That(() => Plan(new LayersOnly(1, 2, 3)).Validate(Embd, LayerCount, 64), Throws.Nothing, "more layers than steered");
            Assert.That(() => Plan(new LayersOnly(1)).Validate(Embd, LayerCount, 64), Throws.ArgumentException.With.Message.EqualTo(
                "The contextual strength of mood has no parameters for layer 2; it was fitted for another vector or layers."));
            Assert.That(() => Plan(new LayersOnly(2)).Validate(Embd, LayerCount, 64), Throws.ArgumentException.With.Message.Contains("for layer 1;"));
        });
    }
}
