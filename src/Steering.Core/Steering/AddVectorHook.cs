using System.Numerics.Tensors;
using LlamaSteer.Capture;
using LlamaSteer.Inference;

namespace LlamaSteer.Steering;

/// <summary>
/// Adds a per-layer vector to every row of l_out-il inside the evaluation callback. Unlike llama.cpp's
/// control vector it can also steer layer 0. The general per-sequence, per-token form is a steering plan;
/// this is the plain whole-batch add.
/// </summary>
public sealed class AddVectorHook(IReadOnlyDictionary<int, float[]> perLayer) : IGraphHook
{
    private float[] _rows = [];

    public bool Wants(in GraphTensor tensor) => ResidualCaptureHook.LayerOf(tensor.NameBytes) is { } il && perLayer.ContainsKey(il);

    public bool OnComputed(in GraphTensor tensor)
    {
        var add = perLayer[ResidualCaptureHook.LayerOf(tensor.NameBytes)!.Value];
        var rows = (int)tensor.RowCount;
        var n = rows * (int)tensor.RowLength;
        if (_rows.Length < n) _rows = new float[n];
        var data = _rows.AsSpan(0, n);
        tensor.ReadRows(0, rows, data);
        for (var r = 0; r < rows; r++)
        {
            var row = data.Slice(r * add.Length, add.Length);
            TensorPrimitives.Add(row, add, row);
        }
        tensor.WriteRows(0, rows, data);
        return true;
    }
}
