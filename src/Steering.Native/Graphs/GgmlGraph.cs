using LlamaSteer.Native.Interop;

namespace LlamaSteer.Native.Graphs;

/// <summary>
/// A <c>ggml_cgraph</c> in a <see cref="SafeGgmlContextHandle"/>'s arena: valid while that context lives. Holds the
/// forward pass and, after <see cref="BuildBackward"/>, the backward pass. One thread at a time.
/// </summary>
public sealed unsafe class GgmlGraph
{
    private readonly SafeGgmlContextHandle _context;
    private readonly IntPtr _graph;
    private readonly bool _hasGradients;

    internal GgmlGraph(SafeGgmlContextHandle context, IntPtr graph, bool hasGradients)
    {
        _context = context;
        _graph = graph;
        _hasGradients = hasGradients;
    }

    internal IntPtr Raw
    {
        get
        {
            ObjectDisposedException.ThrowIf(_context.IsDisposed, _context);
            return _graph;
        }
    }

    /// <summary>Nodes in the graph now.</summary>
    public int NodeCount => GgmlBaseNative.GraphNodeCount(Raw);

    /// <summary>Adds <paramref name="result"/> and everything it depends on.</summary>
    public void Expand(GgmlTensorRef result) => GgmlBaseNative.BuildForwardExpand(Raw, SafeGgmlContextHandle.NotNull(result));

    /// <summary>
    /// Adds the backward pass of the tensors marked as loss with respect to those marked as parameters.
    /// </summary>
    /// <exception cref="InvalidOperationException">The graph has no room for gradients.</exception>
    public void BuildBackward()
    {
        if (!_hasGradients) throw new InvalidOperationException("This graph was created without gradients.");
        GgmlBaseNative.BuildBackwardExpand(_context.Raw, Raw, null);
    }

    /// <summary>Sets the loss gradient to 1 and every other gradient to 0; call after allocation, before each compute.</summary>
    public void ResetGradients() => GgmlBaseNative.GraphReset(Raw);

    /// <summary>The gradient of <paramref name="tensor"/> in this graph, or a null reference when it has none.</summary>
    public GgmlTensorRef GradientOf(GgmlTensorRef tensor) => new(GgmlBaseNative.GraphGetGrad(Raw, SafeGgmlContextHandle.NotNull(tensor)));

    /// <summary>The names of the ops of the nodes (for messages and tests).</summary>
    public IReadOnlyList<string> OpNames()
    {
        var list = new List<string>();
        for (var i = 0; i < NodeCount; i++) list.Add(Runtime.NativeRuntime.Utf8(GgmlBaseNative.OpName(GgmlBaseNative.GraphNode(Raw, i)->Op)));
        return list;
    }
}
