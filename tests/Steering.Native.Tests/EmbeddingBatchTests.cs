using LlamaSteer.Native.SafeHandles;

namespace LlamaSteer.Native.Tests;

/// <summary>Embedding batches: one kind per batch, rows of the batch's width, and a decode of rows through llama.cpp.</summary>
[TestFixture]
public class EmbeddingBatchTests
{
    [Test]
    public void AnEmbeddingBatchTakesRowsOfItsWidthOnlyAndDecodes()
    {
        var model = SharedModel.Model;
        using var ctx = model.CreateContext(new ContextSettings(256, 64, 64, 1, 1, 1));
        using var tokens = SafeLlamaBatchHandle.Create(8, 1);
        using var rows = SafeLlamaBatchHandle.CreateEmbeddings(8, model.EmbeddingSize, 1);
        Assert.That(rows.EmbeddingSize, Is.EqualTo(model.EmbeddingSize));
        Assert.That(() => rows.Add(1, 0, [0], false), Throws.InvalidOperationException);
        Assert.That(() => tokens.AddEmbedding(new float[model.EmbeddingSize], 0, [0], false), Throws.InvalidOperationException);
        Assert.That(() => rows.AddEmbedding(new float[model.EmbeddingSize + 1], 0, [0], false), Throws.ArgumentException);

        tokens.Add(model.BosToken, 0, [0], false);
        Assert.That(ctx.Decode(tokens), Is.EqualTo(DecodeStatus.Ok));
        rows.AddEmbedding(Enumerable.Range(0, model.EmbeddingSize).Select(i => 0.01f * (i % 7)).ToArray(), 1, [0], true);
        Assert.That(ctx.Decode(rows), Is.EqualTo(DecodeStatus.Ok));
        Assert.That(ctx.Logits(-1).ToArray().All(float.IsFinite), Is.True);
    }
}
