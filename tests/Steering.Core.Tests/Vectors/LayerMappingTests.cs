using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Vectors;

/// <summary>
/// direction.N in a control-vector file, applied with llama_set_adapter_cvec, is the same as adding
/// that vector to l_out-N inside the evaluation callback: the file's layer numbering is the residual
/// stream after block N.
/// </summary>
[TestFixture]
public class LayerMappingTests
{
    private LlamaModel _model = null!;
    private string _dir = null!;

    [OneTimeSetUp] public void Load() { _model = SharedModel.Model; _dir = TestPaths.NewTempDirectory(); }
    [OneTimeTearDown] public void Free() => Directory.Delete(_dir, true);

    private float[] Logits(Action<ContextLease> setup, IGraphHook? hook)
    {
        using var ctx = _model.CreateContext(new ContextOptions { Threads = 1, EnableGraphHooks = true });
        using var lease = ctx.Acquire();
        setup(lease);
        var batch = new TokenBatch();
        var last = batch.AddSequence(_model.Tokenize("Once upon a time, there was a"), 0);
        lease.Decode(batch, hook);
        return lease.Logits(last).ToArray();
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(4)]
    public void ControlVectorDirectionNEqualsAddingToLOutN(int layer)
    {
        var rng = new Random(layer);
        var direction = Enumerable.Range(0, _model.EmbeddingSize).Select(_ => (float)(rng.NextDouble() - 0.5) * 2f).ToArray();
        var path = Path.Combine(_dir, $"d{layer}.gguf");
        ControlVectorFile.Write(new SteeringVector(_model.EmbeddingSize, new Dictionary<int, float[]> { [layer] = direction }, "llama"), path);
        var vector = ControlVectorFile.Read(path, _model.EmbeddingSize);

        var buffer = ControlVectorAdapter.Build([new VectorTerm(vector, 1f)], _model.EmbeddingSize, _model.LayerCount);
        var viaCvec = Logits(l => l.SetControlVector(buffer.Data, buffer.FirstLayer, buffer.LastLayer), null);
        var viaCallback = Logits(_ => { }, new AddVectorHook(new Dictionary<int, float[]> { [layer] = direction }));
        var plain = Logits(_ => { }, null);

        var diff = viaCvec.Zip(viaCallback, (a, b) => Math.Abs(a - b)).Max();
        Assert.That(diff, Is.LessThan(1e-5f), $"layer {layer}: cvec vs callback max |diff| {diff}");
        // The vector does change the logits, so the equality above is not vacuous.
        Assert.That(viaCvec.Zip(plain, (a, b) => Math.Abs(a - b)).Max(), Is.GreaterThan(1e-2f));
        // And adding at a neighbouring layer gives different logits: the mapping is exact, not approximate.
        var neighbour = layer == 1 ? 2 : layer - 1;
        var off = Logits(_ => { }, new AddVectorHook(new Dictionary<int, float[]> { [neighbour] = direction }));
        Assert.That(viaCvec.Zip(off, (a, b) => Math.Abs(a - b)).Max(), Is.GreaterThan(1e-3f));
    }

    [Test]
    public void TermsOutsideTheModelOrOnLayerZeroAreRefused()
    {
        var v = new SteeringVector(_model.EmbeddingSize, new Dictionary<int, float[]> { [0] = new float[_model.EmbeddingSize], [7] = new float[_model.EmbeddingSize] });
        Assert.Throws<ArgumentException>(() => ControlVectorAdapter.Build([new VectorTerm(v, 1f)], _model.EmbeddingSize, _model.LayerCount));
        Assert.Throws<ArgumentException>(() => ControlVectorAdapter.Build([new VectorTerm(v, 1f, LayerSet.Of([0]))], _model.EmbeddingSize, _model.LayerCount));
        Assert.Throws<ArgumentException>(() => ControlVectorAdapter.Build([new VectorTerm(v, float.NaN, LayerSet.Of([1]))], _model.EmbeddingSize, _model.LayerCount));
        var other = new SteeringVector(32, new Dictionary<int, float[]> { [1] = new float[32] });
        Assert.That(Assert.Throws<ArgumentException>(() => ControlVectorAdapter.Build([new VectorTerm(other, 1f)], _model.EmbeddingSize, _model.LayerCount))!.Message, Does.Contain("another model"));
    }
}
