using System.Runtime.InteropServices;
using LlamaSteer.Native.Interop;

namespace LlamaSteer.Native.Graphs;

/// <summary>
/// A tensor of a <see cref="SafeGgmlContextHandle"/>: a plain pointer that is valid only while that context lives
/// (and, for its data, while the graph allocation that placed it is current). It never outlives the training step
/// or model that made it; callers keep the owning context alive. Not thread-safe.
/// </summary>
public readonly unsafe struct GgmlTensorRef : IEquatable<GgmlTensorRef>
{
    internal GgmlTensorRef(GgmlTensor* pointer) => Pointer = pointer;

    internal GgmlTensor* Pointer { get; }

    /// <summary>True for the reference that points at nothing (a missing tensor).</summary>
    public bool IsNull => Pointer == null;

    /// <summary>The ggml type number (0 F32, 1 F16, 8 Q8_0, 26 I32...).</summary>
    public int Type => Checked->Type;

    /// <summary>The size of dimension <paramref name="dim"/> (0 is the contiguous one).</summary>
    public long Dim(int dim) => (uint)dim < GgmlTensor.MaxDims ? Checked->Ne[dim] : throw new ArgumentOutOfRangeException(nameof(dim));

    /// <summary>The byte stride of dimension <paramref name="dim"/>.</summary>
    public ulong Stride(int dim) => (uint)dim < GgmlTensor.MaxDims ? Checked->Nb[dim] : throw new ArgumentOutOfRangeException(nameof(dim));

    /// <summary>The number of elements.</summary>
    public long ElementCount => Dim(0) * Dim(1) * Dim(2) * Dim(3);

    /// <summary>The size of the data in bytes.</summary>
    public long ByteCount => (long)GgmlBaseNative.NBytes(Checked);

    /// <summary>The tensor's name (ggml_set_name), empty when it has none.</summary>
    public string Name
    {
        get
        {
            var p = Checked;
            return Marshal.PtrToStringUTF8((IntPtr)p->Name) ?? "";
        }
    }

    /// <summary>True once the tensor has memory (loaded, allocated by a graph allocator, or in an allocating context).</summary>
    public bool HasData => Checked->Data != IntPtr.Zero;

    /// <summary>Names the tensor, as llama.cpp names its graph's tensors (<c>l_out-3</c>); returns the same tensor.</summary>
    public GgmlTensorRef Named(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        GgmlBaseNative.SetName(Checked, name);
        return this;
    }

    /// <summary>Writes F32 values into the tensor's memory.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not a contiguous F32 tensor of that length, or has no memory yet.</exception>
    public void Write(ReadOnlySpan<float> values)
    {
        Require(0, values.Length, sizeof(float));
        fixed (float* v = values) Set(v, values.Length * sizeof(float));
    }

    /// <summary>Writes I32 values (token ids, positions) into the tensor's memory.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not a contiguous I32 tensor of that length, or has no memory yet.</exception>
    public void Write(ReadOnlySpan<int> values)
    {
        Require(26, values.Length, sizeof(int));
        fixed (int* v = values) Set(v, values.Length * sizeof(int));
    }

    /// <summary>Reads the F32 values of a contiguous F32 tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not contiguous F32 data, or has no memory.</exception>
    public float[] ReadFloats()
    {
        var n = ElementCount;
        Require(0, n, sizeof(float));
        var result = new float[n];
        fixed (float* r = result)
        {
            var t = Checked;
            if (t->Buffer != IntPtr.Zero) GgmlBaseNative.BackendTensorGet(t, r, 0, (nuint)(n * sizeof(float)));
            else Buffer.MemoryCopy((void*)t->Data, r, n * sizeof(float), n * sizeof(float));
        }
        return result;
    }

    /// <summary>The first F32 value (a scalar loss).</summary>
    public float ReadScalar() => ReadFloats()[0];

    private void Set(void* source, long bytes)
    {
        var t = Checked;
        if (t->Buffer != IntPtr.Zero) GgmlBaseNative.BackendTensorSet(t, source, 0, (nuint)bytes);
        else Buffer.MemoryCopy(source, (void*)t->Data, bytes, bytes);
    }

    private void Require(int type, long count, int elementSize)
    {
        var t = Checked;
        if (t->Type != type)
            throw new InvalidOperationException($"Tensor '{Name}' is of ggml type {t->Type}, not {type}.");
        if (count != ElementCount)
            throw new InvalidOperationException($"Tensor '{Name}' holds {ElementCount} values, not {count}.");
        if (t->Data == IntPtr.Zero)
            throw new InvalidOperationException($"Tensor '{Name}' has no memory yet; allocate its graph first.");
        if (t->Nb[0] != (ulong)elementSize || ByteCount != count * elementSize)
            throw new InvalidOperationException($"Tensor '{Name}' is not contiguous.");
    }

    private GgmlTensor* Checked => Pointer != null ? Pointer : throw new InvalidOperationException("The tensor reference is null.");

    public bool Equals(GgmlTensorRef other) => Pointer == other.Pointer;

    public override bool Equals(object? obj) => obj is GgmlTensorRef other && Equals(other);

    public override int GetHashCode() => ((IntPtr)Pointer).GetHashCode();

    public static bool operator ==(GgmlTensorRef a, GgmlTensorRef b) => a.Equals(b);

    public static bool operator !=(GgmlTensorRef a, GgmlTensorRef b) => !a.Equals(b);
}
