using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Steering;

/// <summary>
/// The parts of a plan that need no model: layer lists and windows as users write them, what a term steers, when a plan can
/// run as llama.cpp's control vector, and every refusal of <see cref="SteeringPlan.Validate"/> with its message.
/// </summary>
[TestFixture]
public class PlanContractTests
{
    private const int Embd = 4;

    private static SteeringVector Vector(params int[] layers) =>
        new(Embd, layers.ToDictionary(l => l, l => new float[] { l, 1, 0, 0 }), "llama");

    [TestCase("1-4", 5, new[] { 1, 2, 3, 4 }, "1-4")]
    [TestCase(" 2,5,7 ", 8, new[] { 2, 5, 7 }, "2,5,7")]
    [TestCase("1-3,6", 7, new[] { 1, 2, 3, 6 }, "1-3,6")]
    [TestCase("3,1,2,1", 5, new[] { 1, 2, 3 }, "1-3")]
    [TestCase("ALL", 3, new[] { 0, 1, 2 }, "0-2")]
    [TestCase("4", 5, new[] { 4 }, "4")]
    [TestCase("0-0", 5, new[] { 0 }, "0")]
    public void LayerListsParseAndPrintCompactly(string text, int layerCount, int[] layers, string printed)
    {
        var set = LayerSet.Parse(text, layerCount);
        Assert.That(set.Layers, Is.EqualTo(layers));
        Assert.That(set.ToString(), Is.EqualTo(printed));
        Assert.That(set.First, Is.EqualTo(layers[0]));
        Assert.That(set.Last, Is.EqualTo(layers[^1]));
        Assert.That(set.Count, Is.EqualTo(layers.Length));
        Assert.That(LayerSet.Parse(printed, layerCount), Is.EqualTo(set), "round trip");
        Assert.That(set.GetHashCode(), Is.EqualTo(LayerSet.Of(layers).GetHashCode()));
    }

    [TestCase("", "The layer list is empty: use forms like 1-4, 2,5,7 or all.")]
    [TestCase("1,,2", "'1,,2' has an empty entry: use forms like 1-4, 2,5,7 or all.")]
    [TestCase("4-2", "Layer range '4-2' in '4-2' runs backwards.")]
    [TestCase("x", "'x' is not a layer list: use forms like 1-4, 2,5,7 or all.")]
    [TestCase("-1", "'-1' is not a layer list: use forms like 1-4, 2,5,7 or all.")]
    [TestCase("1-x", "'1-x' is not a layer list: use forms like 1-4, 2,5,7 or all.")]
    [TestCase("2-5", "Layers 2-5 are outside the model, which has layers 0-4.")]
    public void BadLayerListsAreRefusedWithTheReason(string text, string message) =>
        Assert.That(Assert.Throws<ArgumentException>(() => LayerSet.Parse(text, 5))!.Message, Is.EqualTo(message));

    [Test]
    public void LayerSetsCompareByTheirLayers()
    {
        Assert.Throws<ArgumentNullException>(() => LayerSet.Parse(null!, 5));
        Assert.That(LayerSet.Range(2, 2).Layers, Is.EqualTo(new[] { 2 }));
        Assert.That(LayerSet.Range(1, 3).Contains(2), Is.True);
        Assert.That(LayerSet.Range(1, 3).Contains(4), Is.False);
        Assert.That(LayerSet.Range(1, 3).Contains(0), Is.False);
        Assert.That(LayerSet.Range(1, 3), Is.EqualTo(LayerSet.Of([3, 2, 1])));
        Assert.That(LayerSet.Range(1, 3), Is.Not.EqualTo(LayerSet.Range(1, 4)));
        Assert.That(LayerSet.Range(1, 3).Equals(null), Is.False);
        Assert.That(LayerSet.Range(1, 3).GetHashCode(), Is.Not.EqualTo(LayerSet.Range(1, 4).GetHashCode()));
        Assert.That(Assert.Throws<ArgumentException>(() => LayerSet.Range(3, 2))!.Message, Is.EqualTo("Invalid layer range 3-2."));
        Assert.That(Assert.Throws<ArgumentException>(() => LayerSet.Range(-1, 2))!.Message, Is.EqualTo("Invalid layer range -1-2."));
        Assert.That(Assert.Throws<ArgumentException>(() => LayerSet.Of([]))!.Message, Is.EqualTo("No layers given."));
        Assert.That(Assert.Throws<ArgumentException>(() => LayerSet.Of([2, -1]))!.Message, Is.EqualTo("Layer -1 is negative."));
        LayerSet.Range(0, 4).CheckAgainst(5);
        Assert.Throws<ArgumentException>(() => LayerSet.Range(0, 5).CheckAgainst(5));
    }

    [Test]
    public void LongLayerListsAreCutForMessages()
    {
        Assert.That(LayerSet.Describe([7, 1, 2, 3]), Is.EqualTo("1-3,7"));
        var every = Enumerable.Range(0, 100).Where(l => l % 2 == 0).ToArray();
        var text = LayerSet.Describe(every);
        Assert.That(text, Does.EndWith(",... (50 layers)"));
        Assert.That(text.Length, Is.LessThan(80));
        Assert.That(text, Does.StartWith("0,2,4,6"));
    }

    [TestCase("all", "all")]
    [TestCase("Both", "all")]
    [TestCase(" prompt ", "prompt")]
    [TestCase("GENERATED", "generated")]
    [TestCase("positions:0-4,10-12", "positions:0-4,10-12")]
    [TestCase("positions:3", "positions:3")]
    [TestCase("positions:3-3", "positions:3")]
    public void WindowsParseAndPrint(string text, string printed) =>
        Assert.That(TokenWindow.Parse(text).ToString(), Is.EqualTo(printed));

    [TestCase("sometimes", "'sometimes' is not a window: use all, prompt, generated or positions:0-4,10-12.")]
    [TestCase("positions:a-4", "'positions:a-4' is not a window: use all, prompt, generated or positions:0-4,10-12.")]
    [TestCase("positions:1-b", "'positions:1-b' is not a window: use all, prompt, generated or positions:0-4,10-12.")]
    [TestCase("positions:1-2-3", "'positions:1-2-3' is not a window: use all, prompt, generated or positions:0-4,10-12.")]
    [TestCase("positions:5-2", "Window range 5-2 in 'positions:5-2' runs backwards.")]
    public void BadWindowsAreRefusedWithTheReason(string text, string message) =>
        Assert.That(Assert.Throws<ArgumentException>(() => TokenWindow.Parse(text))!.Message, Is.EqualTo(message));

    [Test]
    public void WindowsAreCheckedAgainstTheContext()
    {
        TokenWindow.Parse("positions:0-255").Validate(256);
        TokenWindow.Generated.Validate(1);
        Assert.That(Assert.Throws<ArgumentException>(() => TokenWindow.Parse("positions:256-300").Validate(256))!.Message,
            Is.EqualTo("Window range 256-300 starts beyond the context of 256 tokens."));
        Assert.That(Assert.Throws<ArgumentException>(() => TokenWindow.At((4, 4)).Validate(256))!.Message, Is.EqualTo("Window range 4-3 is empty or inverted."));
        Assert.That(Assert.Throws<ArgumentException>(() => TokenWindow.At((-1, 2)).Validate(256))!.Message, Is.EqualTo("Window range -1-1 is empty or inverted."));
        Assert.That(Assert.Throws<ArgumentException>(() => TokenWindow.At().Validate(256))!.Message, Is.EqualTo("A positions window needs at least one range."));
    }

    [Test]
    public void ATermSteersTheLayersItsVectorAndItsFilterShare()
    {
        var v = Vector(1, 2, 3);
        Assert.That(new SteeringTerm(v, 1).EffectiveLayers, Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(new SteeringTerm(v, 1, LayerSet.Range(2, 4)).EffectiveLayers, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(new SteeringTerm(v, 1).EffectiveWindow, Is.EqualTo(TokenWindow.All));
        var plan = new SteeringPlan([new SteeringTerm(v, 1, LayerSet.Of([3])), new SteeringTerm(Vector(1, 2), 1)]);
        Assert.That(plan.Layers, Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(plan.IsEmpty, Is.False);
        Assert.That(SteeringPlan.None.IsEmpty, Is.True);
    }

    [Test]
    public void OnlyFixedAddsOnEveryTokenAboveLayer0RunAsTheControlVector()
    {
        var v = Vector(1, 2);
        Assert.Multiple(() =>
        {
            Assert.That(new SteeringPlan([new SteeringTerm(v, 2)]).IsStaticAdd, Is.True);
            Assert.That(SteeringPlan.None.IsStaticAdd, Is.True);
            Assert.That(new SteeringPlan([new SteeringTerm(v, 2), new SteeringTerm(v, 1, null, SteeringOperator.Ablate)]).IsStaticAdd, Is.False);
            Assert.That(new SteeringPlan([new SteeringTerm(v, 2, null, SteeringOperator.Clamp)]).IsStaticAdd, Is.False);
            Assert.That(new SteeringPlan([new SteeringTerm(v, 2, null, SteeringOperator.Add, TokenWindow.Prompt)]).IsStaticAdd, Is.False);
            Assert.That(new SteeringPlan([new SteeringTerm(Vector(0, 1), 2)]).IsStaticAdd, Is.False, "layer 0");
            Assert.That(new SteeringPlan([new SteeringTerm(Vector(0, 1), 2, LayerSet.Of([1]))]).IsStaticAdd, Is.True, "layer 0 filtered out");
        });
    }

    [Test]
    public void ValidateRefusesEachBadPlanWithItsReason()
    {
        var v = Vector(1, 2);
        string Refusal(params SteeringTerm[] terms) => Assert.Throws<ArgumentException>(() => new SteeringPlan(terms).Validate(Embd, 5, 256))!.Message;
        // Zero on layer 1 only: ablating or clamping it is refused even though layer 2 has a direction.
        var zero = new SteeringVector(Embd, new Dictionary<int, float[]> { [1] = new float[Embd], [2] = [0, 1, 0, 0] }, "llama");
        Assert.Multiple(() =>
        {
            Assert.That(Refusal(new SteeringTerm(v, float.PositiveInfinity) { Name = "v.gguf" }), Is.EqualTo("The strength of v.gguf is not a finite number (Infinity)."));
            Assert.That(Refusal(new SteeringTerm(new SteeringVector(8, new Dictionary<int, float[]> { [1] = new float[8] }), 1) { Name = "wide.gguf" }),
                Is.EqualTo("wide.gguf has n_embd 8 but the model has 4: it was made for another model."));
            Assert.That(Refusal(new SteeringTerm(v, 1, LayerSet.Of([6]))), Is.EqualTo("Layers 6 are outside the model, which has layers 0-4."));
            Assert.That(Refusal(new SteeringTerm(Vector(3, 5, 8), 1)), Is.EqualTo("a vector steers layers 5,8 but the model has layers 0-4."));
            Assert.That(Refusal(new SteeringTerm(v, 1, LayerSet.Of([4]))), Is.EqualTo("a vector has no direction on the chosen layers 4 (it has 1-2)."));
            Assert.That(Refusal(new SteeringTerm(v, 1, null, SteeringOperator.Add, TokenWindow.At((300, 301)))), Does.Contain("beyond the context of 256 tokens"));
            Assert.That(Refusal(new SteeringTerm(zero, 0, null, SteeringOperator.Ablate)), Is.EqualTo("a vector has a zero direction; it cannot be ablated or clamped."));
            Assert.That(Refusal(new SteeringTerm(v, 1, LayerSet.Of([2])) { Name = "a" }, new SteeringTerm(Vector(1, 2), 1, LayerSet.Range(1, 2), SteeringOperator.Clamp)),
                Is.EqualTo("Conflicting terms: a is used on layer 2 with operators Add and Clamp."));
        });
        // Allowed: a zero direction added; the same vector with one operator twice; two operators on different layers; other vectors.
        new SteeringPlan([new SteeringTerm(zero, 1)]).Validate(Embd, 5, 256);
        new SteeringPlan([new SteeringTerm(v, 1), new SteeringTerm(v, 2)]).Validate(Embd, 5, 256);
        new SteeringPlan([new SteeringTerm(v, 1, LayerSet.Of([1])), new SteeringTerm(v, 1, LayerSet.Of([2]), SteeringOperator.Clamp)]).Validate(Embd, 5, 256);
        new SteeringPlan([new SteeringTerm(v, 1), new SteeringTerm(Vector(1, 2).Scale(2), 1, null, SteeringOperator.Ablate)]).Validate(Embd, 5, 256);
    }
}
