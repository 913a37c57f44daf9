using LlamaSteer.Inference;
using LlamaSteer.Steering;

namespace LlamaSteer.Capture;

/// <summary>
/// Reads l_out-il for the wanted layers during one packed decode and accumulates the rows each
/// sample contributes. Stops the graph after the deepest wanted layer: extraction needs no logits,
/// so the rest of the graph is skipped (the decode's logits are then garbage and never read).
/// </summary>
internal sealed class ResidualCaptureHook : IGraphHook
{
    private static ReadOnlySpan<byte> Prefix => "l_out-"u8;

    private readonly LayerSet _layers;
    private readonly int _lastModelLayer;
    private readonly int _embd;
    private float[] _scratch = [];

    public ResidualCaptureHook(LayerSet layers, int layerCount, int embeddingSize)
    {
        _layers = layers;
        _lastModelLayer = layerCount - 1;
        _embd = embeddingSize;
    }

    /// <summary>For each batch entry: the destination row and weight (mean) it adds to, or -1.</summary>
    public int[] EntryTarget { get; set; } = [];
    public float[] EntryWeight { get; set; } = [];

    /// <summary>Entry indices that are outputs, in batch order (the rows of the last layer's l_out).</summary>
    public int[] OutputEntries { get; set; } = [];

    /// <summary>Accumulators per layer: destination rows x n_embd.</summary>
    public Dictionary<int, float[]> Accumulators { get; } = new();

    public bool Wants(in GraphTensor tensor) => LayerOf(tensor.NameBytes) is { } il && _layers.Contains(il);

    public bool OnComputed(in GraphTensor tensor)
    {
        var il = LayerOf(tensor.NameBytes)!.Value;
        if (!tensor.IsContiguousF32 || tensor.RowLength != _embd)
            throw new InvalidOperationException($"{tensor.Name} is not a contiguous F32 [n_embd, tokens] tensor; cannot capture it.");
        var rows = (int)tensor.RowCount;
        var expected = il == _lastModelLayer ? OutputEntries.Length : EntryTarget.Length;
        if (rows != expected)
            throw new InvalidOperationException($"{tensor.Name} has {rows} rows but the batch has {expected}; llama.cpp split or reordered the batch.");
        if (_scratch.Length < rows * _embd) _scratch = new float[rows * _embd];
        var data = _scratch.AsSpan(0, rows * _embd);
        tensor.ReadRows(0, rows, data);
        var acc = Accumulators[il];
        for (var r = 0; r < rows; r++)
        {
            var entry = il == _lastModelLayer ? OutputEntries[r] : r;
            var target = EntryTarget[entry];
            if (target < 0) continue;
            var dst = acc.AsSpan(target * _embd, _embd);
            var src = data.Slice(r * _embd, _embd);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(src, EntryWeight[entry], dst, dst);
        }
        return il < _layers.Last; // stop after the deepest wanted layer
    }

    /// <summary>Parses "l_out-12" into 12; null for other names.</summary>
    internal static int? LayerOf(ReadOnlySpan<byte> name)
    {
        if (!name.StartsWith(Prefix) || name.Length == Prefix.Length) return null;
        var v = 0;
        foreach (var c in name[Prefix.Length..])
        {
            if (c is < (byte)'0' or > (byte)'9') return null;
            v = v * 10 + (c - '0');
        }
        return v;
    }
}
