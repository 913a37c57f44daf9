using LlamaSteer.Native.SafeHandles;
using LlamaSteer.Testing;

namespace LlamaSteer.Native.Tests;

/// <summary>Dispose order, double dispose and use after dispose of every owned native object, on the real model.</summary>
[TestFixture]
public class HandleLifetimeTests
{
    private static ContextSettings Small => new(256, 64, 64, 1, 1, 1);

    private static SafeLlamaModelHandle LoadModel() => SafeLlamaModelHandle.Load(TestPaths.Model, new ModelLoadSettings());

    [Test]
    public void ContextKeepsItsModelAliveWhenTheModelIsDisposedFirst()
    {
        var model = LoadModel();
        var tokens = model.Tokenize("Once upon a time", true, false);
        var ctx = model.CreateContext(Small);
        model.Dispose();
        Assert.That(model.IsDisposed, Is.True);
        Assert.That(model.IsClosed, Is.False, "the context still holds the native model");

        using var batch = SafeLlamaBatchHandle.Create(64, 1);
        for (var i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, [0], i == tokens.Length - 1);
        Assert.That(ctx.Decode(batch), Is.EqualTo(DecodeStatus.Ok), "decoding after the model handle was disposed");
        Assert.That(ctx.Logits(-1).Length, Is.EqualTo(512));
        ctx.Dispose();
    }

    [Test]
    public void DoubleDisposeIsHarmless()
    {
        var model = LoadModel();
        var ctx = model.CreateContext(Small);
        var batch = SafeLlamaBatchHandle.Create(8, 1);
        var sampler = SafeLlamaSamplerHandle.CreateChain();
        Assert.DoesNotThrow(() =>
        {
            sampler.Dispose(); sampler.Dispose();
            batch.Dispose(); batch.Dispose();
            ctx.Dispose(); ctx.Dispose();
            model.Dispose(); model.Dispose();
        });
    }

    [Test]
    public void UseAfterDisposeThrowsObjectDisposed()
    {
        var model = LoadModel();
        var ctx = model.CreateContext(Small);
        var batch = SafeLlamaBatchHandle.Create(8, 1);
        var sampler = SafeLlamaSamplerHandle.CreateChain();
        sampler.AddGreedy();
        sampler.Dispose();
        batch.Dispose();
        ctx.Dispose();
        model.Dispose();
        Assert.Multiple(() =>
        {
            Assert.Throws<ObjectDisposedException>(() => model.Tokenize("x", true, false));
            Assert.Throws<ObjectDisposedException>(() => _ = model.EmbeddingSize);
            Assert.Throws<ObjectDisposedException>(() => model.CreateContext(Small));
            Assert.Throws<ObjectDisposedException>(() => _ = ctx.ContextSize);
            Assert.Throws<ObjectDisposedException>(() => ctx.ClearMemory());
            Assert.Throws<ObjectDisposedException>(() => batch.Clear());
            Assert.Throws<ObjectDisposedException>(() => sampler.Accept(1));
        });
    }

    [Test]
    public void ModelReportsTheShapeOfStories260K()
    {
        using var model = LoadModel();
        // Recorded facts from models/README.md.
        Assert.That(model.EmbeddingSize, Is.EqualTo(64));
        Assert.That(model.LayerCount, Is.EqualTo(5));
        Assert.That(model.VocabularySize, Is.EqualTo(512));
    }
}
