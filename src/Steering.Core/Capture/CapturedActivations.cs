using LlamaSteer.Steering;

namespace LlamaSteer.Capture;

/// <summary>
/// Residual-stream activations captured for a list of samples: per layer, a row-major matrix with
/// one row of n_embd floats per captured position. <see cref="RowSample"/> says which sample each row
/// came from (for LastToken and CompletionMean, row i is sample i).
/// </summary>
public sealed class CapturedActivations
{
    private readonly Dictionary<int, float[]> _rows;

    public CapturedActivations(LayerSet layers, int embeddingSize, int[] rowSample, Dictionary<int, float[]> rows, CapturePositions positions)
    {
        Layers = layers;
        EmbeddingSize = embeddingSize;
        RowSample = rowSample;
        Positions = positions;
        _rows = rows;
        foreach (var l in layers.Layers)
            if (!rows.TryGetValue(l, out var r) || r.Length != rowSample.Length * embeddingSize)
                throw new ArgumentException($"Layer {l} has no rows or the wrong number of floats.");
    }

    public LayerSet Layers { get; }

    public int EmbeddingSize { get; }

    public CapturePositions Positions { get; }

    /// <summary>The sample index of each row.</summary>
    public int[] RowSample { get; }

    public int RowCount => RowSample.Length;

    /// <summary>All rows of a layer, row-major (RowCount x EmbeddingSize).</summary>
    public ReadOnlySpan<float> Layer(int layer) =>
        _rows.TryGetValue(layer, out var r) ? r : throw new ArgumentException($"Layer {layer} was not captured (captured: {Layers}).");

    /// <summary>One row of a layer.</summary>
    public ReadOnlySpan<float> Row(int layer, int row) => Layer(layer).Slice(row * EmbeddingSize, EmbeddingSize);
}
