using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Steering;

/// <summary>
/// Token windows through the evaluation callback: exactly which rows of the steered layer a plan changes, for every window
/// kind, alone and in a batch shared with other sequences. At the steered layer a row differs from the unsteered run only
/// where the plan wrote to it (layers below are untouched and rows do not see each other within one layer's output).
/// </summary>
[TestFixture]
public class WindowTests
{
    private const int Layer = 2;
    private LlamaModel _model = null!;
    private SteeringVector _vector = null!;
    private int[] _tokens = null!;
    private int _promptLength;

    [OneTimeSetUp]
    public void Load()
    {
        _model = SharedModel.Model;
        _vector = SharedModel.RandomVector(seed: 5);
        // Ten tokens: the first seven play the prompt, the last three the generated tokens.
        _tokens = _model.Tokenize("Once upon a time, there was a little girl named Lily");
        _promptLength = _tokens.Length - 3;
    }

    private SteeringPlan Plan(TokenWindow window) =>
        new([new SteeringTerm(_vector, 3f, LayerSet.Of([Layer]), SteeringOperator.Add, window)]);

    /// <summary>The rows (token positions) whose activations differ from the unsteered ones.</summary>
    private int[] ChangedRows(float[] steered, float[] plain)
    {
        var embd = _model.EmbeddingSize;
        Assert.That(steered, Has.Length.EqualTo(plain.Length));
        return Enumerable.Range(0, plain.Length / embd)
            .Where(r => Enumerable.Range(0, embd).Any(k => Math.Abs(steered[r * embd + k] - plain[r * embd + k]) > 1e-4f))
            .ToArray();
    }

    private int[] Expected(TokenWindow window) => window.Kind switch
    {
        WindowKind.All => Enumerable.Range(0, _tokens.Length).ToArray(),
        WindowKind.Prompt => Enumerable.Range(0, _promptLength).ToArray(),
        WindowKind.Generated => Enumerable.Range(_promptLength, _tokens.Length - _promptLength).ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(window)),
    };

    // Positions windows as a user writes them: the expected rows are the inclusive range written out by hand.
    private static IEnumerable<TestCaseData> Windows()
    {
        yield return new TestCaseData("all", null).SetName("{m}(all)");
        yield return new TestCaseData("prompt", null).SetName("{m}(prompt)");
        yield return new TestCaseData("generated", null).SetName("{m}(generated)");
        yield return new TestCaseData("positions:0-4", new[] { 0, 1, 2, 3, 4 }).SetName("{m}(positions:0-4)");
        yield return new TestCaseData("positions:3-3,6-9", new[] { 3, 6, 7, 8, 9 }).SetName("{m}(positions:3-3,6-9)");
        yield return new TestCaseData("positions:9", new[] { 9 }).SetName("{m}(positions:9)");
    }

    [TestCaseSource(nameof(Windows))]
    public void AWindowSteersExactlyItsRowsAtBatch1(string text, int[]? positions)
    {
        var window = TokenWindow.Parse(text);
        var steered = PlanObserver.LayerRowsAfter(_model, Plan(window), _tokens, Layer, _promptLength);
        var plain = PlanObserver.LayerRowsAfter(_model, SteeringPlan.None, _tokens, Layer, _promptLength);
        Assert.That(ChangedRows(steered, plain), Is.EqualTo(positions ?? Expected(window)), text);
    }

    [TestCaseSource(nameof(Windows))]
    public void AWindowSteersExactlyItsRowsInAMixedBatch(string text, int[]? positions)
    {
        var window = TokenWindow.Parse(text);
        // Sequence 0: the window under test; 1: unsteered; 2: the same tokens steered on every position; 3: the window, with
        // another prompt length (the generated part starts later).
        var other = _model.Tokenize("Tim went to the park and saw a big dog");
        var sequences = new (SteeringPlan, int[], int)[]
        {
            (Plan(window), _tokens, _promptLength),
            (SteeringPlan.None, other, other.Length - 2),
            (Plan(TokenWindow.All), other, other.Length - 2),
            (Plan(window), _tokens, _promptLength + 1),
        };
        var mixed = PlanObserver.LayerRowsAfter(_model, sequences, Layer);
        var plain = PlanObserver.LayerRowsAfter(_model, SteeringPlan.None, _tokens, Layer, _promptLength);
        var plainOther = PlanObserver.LayerRowsAfter(_model, SteeringPlan.None, other, Layer, other.Length - 2);

        var expected = positions ?? Expected(window);
        var laterPrompt = window.Kind switch
        {
            WindowKind.Prompt => Enumerable.Range(0, _promptLength + 1).ToArray(),
            WindowKind.Generated => Enumerable.Range(_promptLength + 1, _tokens.Length - _promptLength - 1).ToArray(),
            _ => expected,
        };
        Assert.Multiple(() =>
        {
            Assert.That(ChangedRows(mixed[0], plain), Is.EqualTo(expected), $"{text}, sequence 0");
            Assert.That(ChangedRows(mixed[1], plainOther), Is.Empty, "the unsteered sequence");
            Assert.That(ChangedRows(mixed[2], plainOther), Is.EqualTo(Enumerable.Range(0, other.Length)), "the sequence steered everywhere");
            Assert.That(ChangedRows(mixed[3], plain), Is.EqualTo(laterPrompt), $"{text}, sequence 3 (prompt one token longer)");
        });
    }

    [TestCase("positions:0-4", 0, 5)]
    [TestCase("positions:7", 7, 8)]
    [TestCase("positions:2-3,10-12", 2, 4, 10, 13)]
    public void PositionsAreInclusiveAsWritten(string text, params int[] halfOpen)
    {
        var window = TokenWindow.Parse(text);
        Assert.That(window.Kind, Is.EqualTo(WindowKind.Positions));
        Assert.That(window.Ranges!.SelectMany(r => new[] { r.From, r.To }), Is.EqualTo(halfOpen));
        Assert.That(window.ToString(), Is.EqualTo(text), "round trip");
    }

    [Test]
    public void ContainsPutsTheFirstGeneratedTokenInGeneratedAndNotInPrompt()
    {
        Assert.Multiple(() =>
        {
            Assert.That(TokenWindow.Generated.Contains(7, 7), Is.True);
            Assert.That(TokenWindow.Generated.Contains(6, 7), Is.False);
            Assert.That(TokenWindow.Prompt.Contains(6, 7), Is.True);
            Assert.That(TokenWindow.Prompt.Contains(7, 7), Is.False);
            Assert.That(TokenWindow.Parse("positions:0-4").Contains(4, 0), Is.True);
            Assert.That(TokenWindow.Parse("positions:0-4").Contains(5, 0), Is.False);
            Assert.That(TokenWindow.Parse("positions:0-4").Contains(0, 0), Is.True);
        });
    }
}
