using LlamaSteer.Native.Interop;
using LlamaSteer.Native.SafeHandles;

namespace LlamaSteer.Native.Graphs;

/// <summary>
/// Owns a <c>ggml_context</c>: the arena that holds tensor descriptions (and, unless created without allocation, their
/// data) and graphs. Tensors and graphs made in it are valid until it is disposed. One thread at a time: ggml contexts
/// are not synchronised.
/// </summary>
public sealed unsafe partial class SafeGgmlContextHandle : OwnedHandle
{
    /// <summary>ggml's type numbers (enum ggml_type) for the element types graphs create.</summary>
    public const int F32 = 0, I32 = 26;

    private SafeGgmlContextHandle() { }

    internal static SafeGgmlContextHandle Adopt(IntPtr raw)
    {
        var h = new SafeGgmlContextHandle();
        h.SetHandle(raw);
        return h;
    }

    /// <summary>
    /// A context of <paramref name="bytes"/> bytes. With <paramref name="allocateData"/> false only tensor descriptions
    /// live in it and a graph allocator places their data; otherwise the data lives in the context itself.
    /// </summary>
    /// <exception cref="Runtime.NativeCallException">ggml could not allocate the arena.</exception>
    public static SafeGgmlContextHandle Create(long bytes, bool allocateData)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1024);
        Runtime.NativeRuntime.EnsureLoaded();
        var raw = GgmlBaseNative.Init(new GgmlInitParams { MemSize = (nuint)bytes, MemBuffer = IntPtr.Zero, NoAlloc = allocateData ? (byte)0 : (byte)1 });
        if (raw == IntPtr.Zero) throw new Runtime.NativeCallException($"ggml could not allocate a context of {bytes} bytes.");
        return Adopt(raw);
    }

    /// <summary>Bytes of arena one tensor description takes.</summary>
    public static long TensorOverhead => (long)GgmlBaseNative.TensorOverhead();

    /// <summary>Bytes of arena a graph of <paramref name="nodes"/> nodes takes.</summary>
    public static long GraphOverhead(int nodes, bool gradients) => (long)GgmlBaseNative.GraphOverheadCustom((nuint)nodes, gradients);

    internal IntPtr Raw => Live;

    /// <summary>A new tensor of ggml type <paramref name="type"/> with the given dimensions (1 to 4).</summary>
    public GgmlTensorRef NewTensor(int type, params long[] dims)
    {
        if (dims.Length is < 1 or > GgmlTensor.MaxDims) throw new ArgumentException("A tensor has 1 to 4 dimensions.", nameof(dims));
        if (dims.Any(d => d < 1)) throw new ArgumentException($"Dimensions must be positive: [{string.Join(", ", dims)}].", nameof(dims));
        fixed (long* ne = dims)
            return Result(GgmlBaseNative.NewTensor(Raw, type, dims.Length, ne), "ggml_new_tensor");
    }

    /// <summary>The tensor called <paramref name="name"/>, or a null reference when there is none.</summary>
    public GgmlTensorRef Find(string name) => new(GgmlBaseNative.GetTensor(Raw, name));

    /// <summary>Every tensor of the context, in creation order.</summary>
    public IReadOnlyList<GgmlTensorRef> Tensors()
    {
        var list = new List<GgmlTensorRef>();
        for (var t = GgmlBaseNative.GetFirstTensor(Raw); t != null; t = GgmlBaseNative.GetNextTensor(Raw, t)) list.Add(new GgmlTensorRef(t));
        return list;
    }

    /// <summary>Marks a tensor as a trainable parameter (it gets a gradient).</summary>
    public static void MarkParameter(GgmlTensorRef t) => GgmlBaseNative.SetParam(NotNull(t));

    /// <summary>Marks a scalar F32 tensor as the loss whose gradient the backward pass computes.</summary>
    public static void MarkLoss(GgmlTensorRef t) => GgmlBaseNative.SetLoss(NotNull(t));

    /// <summary>Marks a tensor as a graph input: the allocator gives it memory before anything else.</summary>
    public static void MarkInput(GgmlTensorRef t) => GgmlBaseNative.SetInput(NotNull(t));

    /// <summary>Marks a tensor as a graph output: the allocator never reuses its memory.</summary>
    public static void MarkOutput(GgmlTensorRef t) => GgmlBaseNative.SetOutput(NotNull(t));

    /// <summary>A graph of at most <paramref name="maxNodes"/> nodes, with room for gradients when asked.</summary>
    public GgmlGraph NewGraph(int maxNodes, bool gradients)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNodes, 1);
        var g = GgmlBaseNative.NewGraphCustom(Raw, (nuint)maxNodes, gradients);
        if (g == IntPtr.Zero) throw new Runtime.NativeCallException("ggml could not create a graph.");
        return new GgmlGraph(this, g, gradients);
    }

    private GgmlTensorRef Result(GgmlTensor* t, string op) =>
        t != null ? new GgmlTensorRef(t) : throw new Runtime.NativeCallException($"{op} returned no tensor (the context's arena is full?).");

    internal static GgmlTensor* NotNull(GgmlTensorRef t) => !t.IsNull ? t.Pointer : throw new ArgumentException("The tensor reference is null.");

    protected override bool ReleaseHandle()
    {
        GgmlBaseNative.Free(handle);
        return true;
    }
}
