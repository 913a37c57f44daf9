using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Engine;

[TestFixture]
public class BatchedDecodeTests
{
    private static readonly string[] Prompts =
    [
        "Once upon a time",
        "Tim and his dog went to the park",
        "The little girl was sad because",
        "One day, a big bird",
    ];

    private LlamaModel _model = null!;

    [OneTimeSetUp] public void Load() => _model = SharedModel.Model;

    [Test]
    public void FourPromptsInOneBatchGiveTheLogitsOfEachAlone()
    {
        var alone = Prompts.Select(p =>
        {
            using var ctx = _model.CreateContext(new() { Threads = 1 });
            var batch = new TokenBatch();
            var last = batch.AddSequence(_model.Tokenize(p), 0);
            Assert.That(ctx.Decode(batch), Is.EqualTo(Native.SafeHandles.DecodeStatus.Ok));
            return ctx.CopyLogits(last);
        }).ToArray();

        using var shared = _model.CreateContext(new() { Threads = 1, MaxSequences = Prompts.Length });
        var together = new TokenBatch();
        var lastIndex = new int[Prompts.Length];
        for (var s = 0; s < Prompts.Length; s++) lastIndex[s] = together.AddSequence(_model.Tokenize(Prompts[s]), 0, s);
        Assert.That(shared.Decode(together), Is.EqualTo(Native.SafeHandles.DecodeStatus.Ok));

        for (var s = 0; s < Prompts.Length; s++)
        {
            var batched = shared.CopyLogits(lastIndex[s]);
            var maxDiff = batched.Zip(alone[s], (a, b) => Math.Abs(a - b)).Max();
            Assert.That(maxDiff, Is.LessThan(1e-4f), $"prompt {s}: max |diff| {maxDiff}");
        }
        // The prompts differ, so their logits must differ: the comparison above is not vacuous.
        Assert.That(alone[0].Zip(alone[1], (a, b) => Math.Abs(a - b)).Max(), Is.GreaterThan(0.1f));
    }

    [Test]
    public void SequencesContinueIndependentlyAfterABatchedPrefill()
    {
        using var ctx = _model.CreateContext(new() { Threads = 1, MaxSequences = 2 });
        var a = _model.Tokenize(Prompts[0]);
        var b = _model.Tokenize(Prompts[1]);
        var batch = new TokenBatch();
        batch.AddSequence(a, 0, 0);
        batch.AddSequence(b, 0, 1);
        ctx.Decode(batch);
        using var lease = ctx.Acquire();
        Assert.That(lease.LastPosition(0), Is.EqualTo(a.Length - 1));
        Assert.That(lease.LastPosition(1), Is.EqualTo(b.Length - 1));
        Assert.That(lease.RemoveTokens(1), Is.True);
        Assert.That(lease.LastPosition(1), Is.EqualTo(-1));
        Assert.That(lease.LastPosition(0), Is.EqualTo(a.Length - 1));
    }
}
