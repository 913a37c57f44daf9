using System.Runtime.InteropServices;
using LlamaSteer.LLamaSharp.Interop;
using LlamaSteer.Steering;

namespace LlamaSteer.LLamaSharp.Plans;

/// <summary>
/// A tensor of the graph LLamaSharp's llama.cpp is computing, valid only inside the evaluation callback. Data moves
/// through ggml_backend_tensor_get/set, so it works wherever the tensor lives.
/// </summary>
internal readonly unsafe ref struct CallbackTensor : IResidualRows
{
    private readonly IntPtr _tensor;
    private readonly GgmlTensorHead* _head;

    public CallbackTensor(IntPtr tensor)
    {
        _tensor = tensor;
        _head = (GgmlTensorHead*)tensor;
    }

    public string Name => Marshal.PtrToStringUTF8((IntPtr)GgmlBase.GetName(_tensor)) ?? "";

    /// <summary>il for a residual-stream tensor named "l_out-il", else -1.</summary>
    public int ResidualLayer
    {
        get
        {
            var name = GgmlBase.GetName(_tensor);
            if (name is null) return -1;
            var span = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(name);
            if (!span.StartsWith("l_out-"u8) || span.Length == 6) return -1;
            var v = 0;
            foreach (var c in span[6..])
            {
                if (c is < (byte)'0' or > (byte)'9') return -1;
                v = v * 10 + (c - '0');
            }
            return v;
        }
    }

    public long RowLength => _head->Ne[0];

    public long RowCount => _head->Ne[1] * _head->Ne[2] * _head->Ne[3];

    public bool IsContiguousF32 => _head->Type == 0 && _head->Nb[0] == 4 && _head->Nb[1] == (ulong)(4 * _head->Ne[0]);

    /// <exception cref="ArgumentOutOfRangeException">Rows outside the tensor.</exception>
    public void ReadRows(int firstRow, int count, Span<float> destination)
    {
        ResidualRowBounds.Check(Name, RowCount, firstRow, count);
        var n = checked((int)(count * RowLength));
        if (destination.Length < n) throw new ArgumentException("Destination too small.", nameof(destination));
        fixed (float* d = destination)
            GgmlBase.BackendTensorGet(_tensor, d, (nuint)(firstRow * RowLength * 4), (nuint)(n * 4));
    }

    /// <exception cref="ArgumentOutOfRangeException">Rows outside the tensor.</exception>
    public void WriteRows(int firstRow, int count, ReadOnlySpan<float> source)
    {
        ResidualRowBounds.Check(Name, RowCount, firstRow, count);
        var n = checked((int)(count * RowLength));
        if (source.Length < n) throw new ArgumentException("Source too small.", nameof(source));
        fixed (float* s = source)
            GgmlBase.BackendTensorSet(_tensor, s, (nuint)(firstRow * RowLength * 4), (nuint)(n * 4));
    }
}
