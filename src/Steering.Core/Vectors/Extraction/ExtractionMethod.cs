namespace LlamaSteer.Vectors.Extraction;

/// <summary>How a direction is computed from paired positive and negative activations.</summary>
public enum ExtractionMethod
{
    /// <summary>mean(positive) - mean(negative): contrastive activation addition.</summary>
    Mean,
    /// <summary>mean(positive) - mean(neutral): mean-centring; without a neutral set the neutral mean is that of all samples.</summary>
    MeanCentred,
    /// <summary>First principal direction of the pair differences (positive - negative).</summary>
    PcaDiff,
    /// <summary>First principal direction of the pairs centred on their midpoints (repeng's pca_center).</summary>
    PcaCenter,
    /// <summary>Weight vector of an L2-regularised logistic-regression probe (positive vs negative).</summary>
    Probe,
}

/// <summary>Names as the CLI and files spell them.</summary>
public static class ExtractionMethodNames
{
    private static readonly Dictionary<string, ExtractionMethod> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mean"] = ExtractionMethod.Mean,
        ["mean-centred"] = ExtractionMethod.MeanCentred,
        ["mean-centered"] = ExtractionMethod.MeanCentred,
        ["pca-diff"] = ExtractionMethod.PcaDiff,
        ["pca-center"] = ExtractionMethod.PcaCenter,
        ["pca-centre"] = ExtractionMethod.PcaCenter,
        ["probe"] = ExtractionMethod.Probe,
    };

    public static string Name(this ExtractionMethod m) => m switch
    {
        ExtractionMethod.Mean => "mean",
        ExtractionMethod.MeanCentred => "mean-centred",
        ExtractionMethod.PcaDiff => "pca-diff",
        ExtractionMethod.PcaCenter => "pca-center",
        _ => "probe",
    };

    /// <exception cref="ArgumentException">An unknown name; the message lists the known ones.</exception>
    public static ExtractionMethod Parse(string name) =>
        ByName.TryGetValue(name.Trim(), out var m) ? m
            : throw new ArgumentException($"Unknown extraction method '{name}'. Known: mean, mean-centred, pca-diff, pca-center, probe.");
}

/// <summary>How the extracted direction is scaled.</summary>
public enum VectorScaling
{
    /// <summary>Unit direction times the distance between the class means along it (default): strength 1 moves a negative to a positive, on average.</summary>
    Separation,
    /// <summary>Unit length.</summary>
    Unit,
    /// <summary>As the method produced it (the mean difference for Mean).</summary>
    Raw,
}
