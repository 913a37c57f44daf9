using System.Text;
using LlamaSteer.Native.Interop;
using LlamaSteer.Steering;

namespace LlamaSteer.Inference;

/// <summary>
/// A tensor of the graph being computed, valid only inside <see cref="IGraphHook"/> calls.
/// Data moves through ggml_backend_tensor_get/set, so it works wherever the tensor lives (CPU or GPU).
/// </summary>
public readonly unsafe ref struct GraphTensor : IResidualRows
{
    private readonly GgmlTensor* _t;

    internal GraphTensor(IntPtr tensor) => _t = (GgmlTensor*)tensor;

    /// <summary>The node's name bytes (e.g. "l_out-3"), without the terminating NUL.</summary>
    public ReadOnlySpan<byte> NameBytes
    {
        get
        {
            var span = new ReadOnlySpan<byte>(_t->Name, GgmlTensor.MaxName);
            var end = span.IndexOf((byte)0);
            return end < 0 ? span : span[..end];
        }
    }

    public string Name => Encoding.UTF8.GetString(NameBytes);

    /// <summary>
    /// il for a residual-stream tensor named "l_out-il", else -1. Asked for every node of every decode, so
    /// it reads the name in place and rejects other names on their first bytes.
    /// </summary>
    internal int ResidualLayer
    {
        get
        {
            var name = _t->Name;
            if (name[0] != (byte)'l' || !new ReadOnlySpan<byte>(name, 6).SequenceEqual("l_out-"u8)) return -1;
            var v = 0;
            var i = 6;
            for (; i < GgmlTensor.MaxName && name[i] != 0; i++)
            {
                var c = name[i];
                if (c is < (byte)'0' or > (byte)'9') return -1;
                v = v * 10 + (c - '0');
            }
            return i == 6 ? -1 : v;
        }
    }

    /// <summary>ggml type id (0 = F32).</summary>
    public int Type => _t->Type;

    /// <summary>Elements per row (n_embd for residual-stream tensors).</summary>
    public long RowLength => _t->Ne[0];

    /// <summary>Rows (tokens of the ubatch for residual-stream tensors).</summary>
    public long RowCount => _t->Ne[1] * _t->Ne[2] * _t->Ne[3];

    /// <summary>Whether rows are stored back to back (the only layout the row accessors accept).</summary>
    public bool IsContiguousF32 => _t->Type == 0 && _t->Nb[0] == 4 && _t->Nb[1] == (ulong)(4 * _t->Ne[0]);

    /// <summary>Copies rows [firstRow, firstRow + count) into <paramref name="destination"/> (count * RowLength floats).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Rows outside the tensor: ggml's own bounds check wraps around for a negative offset.</exception>
    public void ReadRows(int firstRow, int count, Span<float> destination)
    {
        CheckRows(firstRow, count);
        var n = checked((int)(count * RowLength));
        if (destination.Length < n) throw new ArgumentException("Destination too small.", nameof(destination));
        fixed (float* d = destination)
            GgmlBaseNative.BackendTensorGet(_t, d, (nuint)(firstRow * RowLength * 4), (nuint)(n * 4));
    }

    /// <summary>Overwrites rows [firstRow, firstRow + count) with <paramref name="source"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Rows outside the tensor.</exception>
    public void WriteRows(int firstRow, int count, ReadOnlySpan<float> source)
    {
        CheckRows(firstRow, count);
        var n = checked((int)(count * RowLength));
        if (source.Length < n) throw new ArgumentException("Source too small.", nameof(source));
        fixed (float* s = source)
            GgmlBaseNative.BackendTensorSet(_t, s, (nuint)(firstRow * RowLength * 4), (nuint)(n * 4));
    }

    private void CheckRows(int firstRow, int count) => ResidualRowBounds.Check(Name, RowCount, firstRow, count);
}
