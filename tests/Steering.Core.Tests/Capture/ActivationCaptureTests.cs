using LlamaSteer.Capture;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Capture;

[TestFixture]
public class ActivationCaptureTests
{
    private static readonly string[] Texts =
    [
        "Once upon a time there was a girl named Lily",
        "Tim had a big red ball",
        "The sun was warm and the birds sang",
        "Sue was sad because her toy broke",
        "A little dog ran in the park",
        "Mom made a cake for the party",
        "The boy and his friend played all day",
        "It was a happy day",
    ];

    private LlamaModel _model = null!;

    [OneTimeSetUp] public void Load() => _model = SharedModel.Model;

    private CaptureItem[] Items => Texts.Select(t => new CaptureItem(_model.Tokenize(t), 1)).ToArray();

    [TestCase(CapturePositions.LastToken)]
    [TestCase(CapturePositions.CompletionMean)]
    [TestCase(CapturePositions.AllTokens)]
    public void CaptureOfABatchOfEightEqualsCaptureOfEachAlone(CapturePositions positions)
    {
        var layers = LayerSet.Parse("all", _model.LayerCount);
        using var capturer = new ActivationCapturer(_model, threads: 1);
        var together = capturer.Capture(Items, layers, positions);
        Assert.That(together.RowSample.Distinct().Count(), Is.EqualTo(Texts.Length));

        var row = 0;
        for (var i = 0; i < Items.Length; i++)
        {
            var alone = capturer.Capture([Items[i]], layers, positions);
            foreach (var l in layers.Layers)
            {
                var a = alone.Layer(l);
                var b = together.Layer(l).Slice(row * _model.EmbeddingSize, a.Length);
                var diff = 0f;
                for (var k = 0; k < a.Length; k++) diff = Math.Max(diff, Math.Abs(a[k] - b[k]));
                Assert.That(diff, Is.LessThan(1e-4f), $"sample {i}, layer {l}");
            }
            row += alone.RowCount;
        }
        Assert.That(row, Is.EqualTo(together.RowCount));
    }

    [Test]
    public void LastTokenRowsDifferBetweenSamplesAndLayers()
    {
        using var capturer = new ActivationCapturer(_model, threads: 1);
        var c = capturer.Capture(Items, LayerSet.Range(1, 4), CapturePositions.LastToken);
        var r0 = c.Row(2, 0).ToArray();
        var r1 = c.Row(2, 1).ToArray();
        Assert.That(r0.Zip(r1, (x, y) => Math.Abs(x - y)).Max(), Is.GreaterThan(1e-3f));
        Assert.That(c.Row(1, 0).ToArray().Zip(c.Row(4, 0).ToArray(), (x, y) => Math.Abs(x - y)).Max(), Is.GreaterThan(1e-3f));
        Assert.That(r0.All(float.IsFinite));
    }

    [Test]
    public void MeanIsTheAverageOfTheTokenRows()
    {
        using var capturer = new ActivationCapturer(_model, threads: 1);
        var layers = LayerSet.Of([3]);
        var item = Items[0];
        var mean = capturer.Capture([item], layers, CapturePositions.CompletionMean).Row(3, 0).ToArray();
        var all = capturer.Capture([item], layers, CapturePositions.AllTokens);
        for (var k = 0; k < _model.EmbeddingSize; k++)
        {
            var avg = Enumerable.Range(0, all.RowCount).Average(r => all.Row(3, r)[k]);
            Assert.That(mean[k], Is.EqualTo(avg).Within(1e-4));
        }
    }

    [Test]
    public void TooLongSampleIsAClearError()
    {
        using var capturer = new ActivationCapturer(_model, threads: 1, maxTokensPerDecode: 16);
        var items = Items;
        var first = Array.FindIndex(items, i => i.Tokens.Length > 16);
        Assert.That(first, Is.GreaterThanOrEqualTo(0), "the test needs a sample longer than 16 tokens");
        var ex = Assert.Throws<Errors.ContextOverflowException>(() => capturer.Capture(items, LayerSet.Of([1]), CapturePositions.LastToken));
        Assert.That(ex!.Message, Does.Contain($"Sample {first} has {items[first].Tokens.Length} tokens; at most 16 fit"));
    }
}
