namespace LlamaSteer.Vectors;

/// <summary>
/// How a vector was made, written to control-vector files under the <c>llamasteer.</c> key prefix
/// (llama.cpp ignores it). All fields are optional.
/// </summary>
public sealed record VectorProvenance
{
    public string? Method { get; init; }
    public string? DatasetName { get; init; }
    public string? DatasetSha256 { get; init; }
    public string? ModelFile { get; init; }
    public int? ModelEmbeddingSize { get; init; }
    public string? Options { get; init; }
    public string? CreatedUtc { get; init; }

    /// <summary>Per layer: mean projection of positive and negative activations on the unit direction.</summary>
    public IReadOnlyDictionary<int, LayerCalibration> Calibration { get; init; } = new Dictionary<int, LayerCalibration>();
}

/// <summary>
/// Where positives and negatives sit along a layer's unit direction, so a strength can be read in
/// those units: strength 1 on a separation-scaled vector moves an activation by PositiveMean - NegativeMean.
/// </summary>
public sealed record LayerCalibration(float PositiveMean, float NegativeMean, float PooledStd)
{
    /// <summary>Distance between the class means in pooled standard deviations (Cohen's d).</summary>
    public float Separation => PooledStd > 0 ? (PositiveMean - NegativeMean) / PooledStd : 0;
}
