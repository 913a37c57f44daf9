using System.Globalization;

namespace LlamaSteer.Vectors;

/// <summary>
/// One layer of a vector against a model: its norm, the model's mean residual-stream norm there (null
/// where the layer is outside the model or the widths differ), and what is wrong, if anything.
/// </summary>
public sealed record LayerFit(int Layer, float Norm, float? ResidualNorm, string? Problem)
{
    /// <summary>The direction's norm in units of the residual stream it is added to.</summary>
    public float? Ratio => ResidualNorm is > 0 ? Norm / ResidualNorm : null;

    public bool Fits => Problem is null;
}

/// <summary>Whether a vector fits a model: problems (it does not), warnings (it may not), and each layer.</summary>
public sealed record VectorFitReport(IReadOnlyList<string> Problems, IReadOnlyList<string> Warnings, IReadOnlyList<LayerFit> Layers)
{
    public bool Fits => Problems.Count == 0 && Layers.All(l => l.Fits);
}

/// <summary>
/// Checks a vector against a model as llama.cpp would apply it: the same n_embd, every layer in
/// 1..n_layer-1, and directions of a plausible size next to the model's residual stream. A model hint
/// that differs from the model's architecture is only a warning (fine-tunes and merges share widths).
/// Pure; thread-safe.
/// </summary>
public static class VectorFit
{
    /// <summary>A direction larger than this many times the mean residual norm at its layer is implausible.</summary>
    public const float MaxPlausibleRatio = 10;

    /// <param name="residualNorms">Mean residual-stream norm per layer (see <c>LlamaSteer.Capture.ResidualNorms</c>).</param>
    public static VectorFitReport Check(SteeringVector vector, int embeddingSize, int layerCount, string architecture, IReadOnlyDictionary<int, float> residualNorms)
    {
        ArgumentNullException.ThrowIfNull(vector);
        var problems = new List<string>();
        var warnings = new List<string>();
        var sameWidth = vector.EmbeddingSize == embeddingSize;
        if (!sameWidth)
            problems.Add($"n_embd is {vector.EmbeddingSize} but the model's is {embeddingSize}: it was made for another model");
        if (vector.ModelHint is { } hint && hint != architecture)
            warnings.Add($"model hint '{hint}' but the model is '{architecture}'");

        var layers = new List<LayerFit>();
        foreach (var layer in vector.Layers)
        {
            var norm = vector.Norm(layer);
            if (layer < 1 || layer >= layerCount)
            {
                var steerable = layerCount < 2 ? "the model has no steerable layer" : $"the model's steerable layers are 1-{layerCount - 1}";
                layers.Add(new LayerFit(layer, norm, null, $"outside the model: {steerable}"));
                continue;
            }
            var residual = sameWidth && residualNorms.TryGetValue(layer, out var r) ? r : (float?)null;
            var fit = new LayerFit(layer, norm, residual, null);
            if (fit.Ratio > MaxPlausibleRatio)
                fit = fit with { Problem = string.Create(CultureInfo.InvariantCulture, $"implausible: {fit.Ratio:G3} times the residual stream (more than {MaxPlausibleRatio:G})") };
            layers.Add(fit);
        }
        return new VectorFitReport(problems, warnings, layers);
    }
}
