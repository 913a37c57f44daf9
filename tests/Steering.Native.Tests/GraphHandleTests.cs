using LlamaSteer.Native.Graphs;

namespace LlamaSteer.Native.Tests;

/// <summary>The ggml graph handles: a tiny graph and its gradient computed on the CPU backend, lifetime, and refusals.</summary>
[TestFixture]
public class GraphHandleTests
{
    [TestCase(1)]
    [TestCase(2)]
    public void ComputesAProductAndItsGradientOnTheCpuBackend(int threads)
    {
        using var backend = SafeGgmlBackendHandle.CreateCpu(threads);
        using var allocator = SafeGraphAllocatorHandle.Create(backend);
        using var ctx = SafeGgmlContextHandle.Create(1 << 20, allocateData: false);
        var w = ctx.NewTensor(SafeGgmlContextHandle.F32, 3, 2);
        var x = ctx.NewTensor(SafeGgmlContextHandle.F32, 3);
        SafeGgmlContextHandle.MarkInput(w);
        SafeGgmlContextHandle.MarkInput(x);
        SafeGgmlContextHandle.MarkParameter(x);
        var y = ctx.MulMat(w, x);                          // [2]: rows of w dotted with x
        var loss = ctx.Sum(ctx.Sqr(y));                    // |W x|^2, gradient 2 W^T W x
        SafeGgmlContextHandle.MarkLoss(loss);
        SafeGgmlContextHandle.MarkOutput(loss);
        SafeGgmlContextHandle.MarkOutput(y);
        var graph = ctx.NewGraph(256, gradients: true);
        graph.Expand(loss);
        graph.BuildBackward();
        var grad = graph.GradientOf(x);
        SafeGgmlContextHandle.MarkOutput(grad);
        allocator.Allocate(graph);
        float[] wv = [1, 2, 3, -1, 0, 2], xv = [0.5f, -1, 2];
        w.Write(wv);
        x.Write(xv);
        graph.ResetGradients();
        backend.Compute(graph);

        float[] expectedY = [1 * 0.5f + 2 * -1 + 3 * 2, -1 * 0.5f + 0 + 2 * 2];
        Assert.That(y.ReadFloats(), Is.EqualTo(expectedY).Within(1e-6));
        Assert.That(loss.ReadScalar(), Is.EqualTo(expectedY.Sum(v => v * v)).Within(1e-4));
        var expectedGrad = Enumerable.Range(0, 3).Select(k => 2 * (wv[k] * expectedY[0] + wv[3 + k] * expectedY[1])).ToArray();
        Assert.That(grad.ReadFloats(), Is.EqualTo(expectedGrad).Within(1e-5));
        Assert.That(backend.Threads, Is.EqualTo(threads));
    }

    [Test]
    public void HandlesRefuseUseAfterDisposeAndTolerateDoubleDispose()
    {
        var backend = SafeGgmlBackendHandle.CreateCpu(1);
        var allocator = SafeGraphAllocatorHandle.Create(backend);
        var ctx = SafeGgmlContextHandle.Create(1 << 16, allocateData: true);
        var graph = ctx.NewGraph(8, gradients: false);
        backend.Dispose(); // the allocator keeps the backend alive
        Assert.That(allocator.BufferBytes, Is.EqualTo(0));
        Assert.DoesNotThrow(() => { allocator.Dispose(); allocator.Dispose(); ctx.Dispose(); ctx.Dispose(); backend.Dispose(); });
        Assert.Throws<ObjectDisposedException>(() => ctx.NewTensor(SafeGgmlContextHandle.F32, 4));
        Assert.Throws<ObjectDisposedException>(() => _ = graph.NodeCount);
        Assert.Throws<ObjectDisposedException>(() => _ = allocator.BufferBytes);
    }

    [Test]
    public void WritesOfTheWrongTypeOrLengthAreRefused()
    {
        using var ctx = SafeGgmlContextHandle.Create(1 << 16, allocateData: true);
        var t = ctx.NewTensor(SafeGgmlContextHandle.F32, 4);
        Assert.Throws<InvalidOperationException>(() => t.Write(new float[3]));
        Assert.Throws<InvalidOperationException>(() => t.Write(new int[4]));
        Assert.Throws<ArgumentException>(() => ctx.MulMat(t, ctx.NewTensor(SafeGgmlContextHandle.F32, 5)));
        Assert.That(ctx.Find("nothing").IsNull, Is.True);
    }
}
