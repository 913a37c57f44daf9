using LlamaSteer.Native.Interop;
using LlamaSteer.Native.SafeHandles;

namespace LlamaSteer.Native.Graphs;

/// <summary>
/// Owns a ggml graph allocator (<c>ggml_gallocr</c>) on a backend's default buffer type: it places the data of a
/// graph's tensors that have none, reusing memory once a tensor is no longer needed, and grows its buffer as graphs
/// grow. The allocator keeps its backend alive. One graph at a time: allocating a new graph invalidates the previous
/// one's data.
/// </summary>
public sealed class SafeGraphAllocatorHandle : OwnedHandle
{
    private SafeGgmlBackendHandle? _backend;

    private SafeGraphAllocatorHandle() { }

    /// <summary>An allocator for graphs computed on <paramref name="backend"/>.</summary>
    public static SafeGraphAllocatorHandle Create(SafeGgmlBackendHandle backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var added = false;
        backend.DangerousAddRef(ref added);
        var raw = GgmlBaseNative.GallocrNew(GgmlBaseNative.BackendGetDefaultBufferType(backend.Raw));
        if (raw == IntPtr.Zero)
        {
            backend.DangerousRelease();
            throw new Runtime.NativeCallException("ggml could not create a graph allocator.");
        }
        var h = new SafeGraphAllocatorHandle { _backend = backend };
        h.SetHandle(raw);
        return h;
    }

    /// <summary>Gives every tensor of <paramref name="graph"/> without data its memory.</summary>
    /// <exception cref="Runtime.NativeCallException">The buffer could not be (re)allocated.</exception>
    public void Allocate(GgmlGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (!GgmlBaseNative.GallocrAllocGraph(Live, graph.Raw))
            throw new Runtime.NativeCallException("ggml could not allocate the graph's memory.");
    }

    /// <summary>The size of the compute buffer in bytes.</summary>
    public long BufferBytes => (long)GgmlBaseNative.GallocrGetBufferSize(Live, 0);

    protected override bool ReleaseHandle()
    {
        GgmlBaseNative.GallocrFree(handle);
        _backend?.DangerousRelease();
        return true;
    }
}
