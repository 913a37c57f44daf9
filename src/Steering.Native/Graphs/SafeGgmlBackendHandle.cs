using LlamaSteer.Native.Interop;
using LlamaSteer.Native.SafeHandles;

namespace LlamaSteer.Native.Graphs;

/// <summary>
/// Owns a ggml compute backend (the CPU one) that runs graphs. Computing is one graph at a time: a backend holds its
/// work buffer and thread pool, so callers serialise <see cref="Compute"/>.
/// </summary>
public sealed unsafe class SafeGgmlBackendHandle : OwnedHandle
{
    private const int CpuDeviceType = 0; // GGML_BACKEND_DEVICE_TYPE_CPU

    private SafeGgmlBackendHandle() { }

    /// <summary>The thread count set on the backend.</summary>
    public int Threads { get; private set; }

    /// <summary>
    /// The CPU backend with <paramref name="threads"/> threads. The thread setter is not exported (the CPU code lives in a
    /// variant library loaded at run time), so it is taken from the registry by name; unset, the backend spins 4 threads.
    /// </summary>
    /// <exception cref="Runtime.NativeCallException">No CPU device, or its registry has no thread setter.</exception>
    public static SafeGgmlBackendHandle CreateCpu(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Runtime.NativeRuntime.EnsureLoaded();
        var device = GgmlNative.BackendDevByType(CpuDeviceType);
        if (device == IntPtr.Zero) throw new Runtime.NativeCallException("The llama.cpp runtime has no CPU device.");
        var setThreads = (delegate* unmanaged<IntPtr, int, void>)GgmlBaseNative.BackendRegGetProcAddress(GgmlBaseNative.BackendDevBackendReg(device), "ggml_backend_set_n_threads");
        if (setThreads == null) throw new Runtime.NativeCallException("The CPU backend's registry does not offer ggml_backend_set_n_threads.");
        var raw = GgmlBaseNative.BackendDevInit(device, null);
        if (raw == IntPtr.Zero) throw new Runtime.NativeCallException("The CPU backend could not be started.");
        setThreads(raw, threads);
        var h = new SafeGgmlBackendHandle { Threads = threads };
        h.SetHandle(raw);
        return h;
    }

    internal IntPtr Raw => Live;

    /// <summary>Runs every node of <paramref name="graph"/>, whose tensors must all have memory.</summary>
    /// <exception cref="Runtime.NativeCallException">ggml reported a failure status.</exception>
    public void Compute(GgmlGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var status = GgmlBaseNative.BackendGraphCompute(Raw, graph.Raw);
        if (status != 0) throw new Runtime.NativeCallException($"ggml could not compute the graph (status {status}).");
    }

    protected override bool ReleaseHandle()
    {
        GgmlBaseNative.BackendFree(handle);
        return true;
    }
}
