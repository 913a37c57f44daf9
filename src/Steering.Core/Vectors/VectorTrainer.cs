using System.Diagnostics;
using LlamaSteer.Capture;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Vectors.Extraction;

namespace LlamaSteer.Vectors;

/// <summary>What to train: method, layers, positions, scaling.</summary>
public sealed record TrainingOptions
{
    public ExtractionMethod Method { get; init; } = ExtractionMethod.Mean;
    public VectorScaling Scaling { get; init; } = VectorScaling.Separation;
    public CapturePositions Positions { get; init; } = CapturePositions.LastToken;

    /// <summary>Layers to extract; null: 1..n_layer-1 (every layer a control-vector file can hold).</summary>
    public LayerSet? Layers { get; init; }

    public int? Threads { get; init; }

    /// <summary>Activation cache file: reused when it holds this exact capture, written otherwise.</summary>
    public string? CachePath { get; init; }
}

/// <summary>A trained vector with its per-layer calibration and the cost of the pass.</summary>
public sealed record TrainingReport(SteeringVector Vector, IReadOnlyList<LayerDirection> Layers, int Pairs, long Tokens, TimeSpan CaptureTime, bool FromCache = false)
{
    public double TokensPerSecond => CaptureTime > TimeSpan.Zero ? Tokens / CaptureTime.TotalSeconds : 0;
}

/// <summary>
/// Runs positive and negative samples through the model in packed batches, captures the residual
/// stream on the chosen layers, and extracts a direction per layer.
/// </summary>
public static class VectorTrainer
{
    /// <exception cref="ArgumentException">No pairs, unequal counts, or layers outside the model.</exception>
    public static TrainingReport Train(
        LlamaModel model,
        IReadOnlyList<CaptureItem> positives,
        IReadOnlyList<CaptureItem> negatives,
        TrainingOptions options,
        VectorProvenance provenance,
        IProgress<CaptureProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        if (positives.Count == 0) throw new ArgumentException("The dataset has no pairs.");
        if (positives.Count != negatives.Count) throw new ArgumentException($"{positives.Count} positives but {negatives.Count} negatives.");
        if (options.Positions == CapturePositions.AllTokens && options.Method != ExtractionMethod.Mean && options.Method != ExtractionMethod.MeanCentred && options.Method != ExtractionMethod.Probe)
            throw new ArgumentException("PCA methods pair positive and negative rows; use last-token or completion-mean positions with them.");
        var layers = options.Layers ?? LayerSet.Range(1, model.LayerCount - 1);
        layers.CheckAgainst(model.LayerCount);

        var all = positives.Concat(negatives).ToArray();
        var watch = Stopwatch.StartNew();
        var key = options.CachePath is null ? null : ActivationCache.Key(all, model.Info.Path, options.Positions, layers);
        var captured = options.CachePath is null ? null : ActivationCache.TryLoad(options.CachePath, key!);
        var fromCache = captured is not null;
        if (captured is null)
        {
            var longest = all.Max(i => i.Tokens.Length);
            using var capturer = new ActivationCapturer(model, options.Threads, maxTokensPerDecode: Math.Max(512, longest));
            captured = capturer.Capture(all, layers, options.Positions, progress, cancellationToken);
            if (options.CachePath is not null) ActivationCache.Save(captured, key!, options.CachePath);
        }
        watch.Stop();

        var (pos, neg) = Split(captured, positives.Count);
        var directions = VectorExtractor.Extract(pos, neg, new ExtractionOptions { Method = options.Method, Scaling = options.Scaling });
        var vector = new SteeringVector(
            model.EmbeddingSize,
            directions.ToDictionary(d => d.Layer, d => d.Direction),
            model.Info.Architecture,
            provenance with
            {
                Method = options.Method.Name(),
                ModelFile = provenance.ModelFile ?? Path.GetFileName(model.Info.Path),
                ModelEmbeddingSize = model.EmbeddingSize,
                Calibration = directions.ToDictionary(d => d.Layer, d => d.Calibration),
            });
        return new TrainingReport(vector, directions, positives.Count, all.Sum(i => (long)i.Tokens.Length), watch.Elapsed, fromCache);
    }

    /// <summary>Splits rows of samples [0, n) from rows of samples [n, 2n).</summary>
    private static (CapturedActivations Pos, CapturedActivations Neg) Split(CapturedActivations all, int n)
    {
        CapturedActivations Part(Func<int, bool> keep, int offset)
        {
            var rows = Enumerable.Range(0, all.RowCount).Where(r => keep(all.RowSample[r])).ToArray();
            var data = all.Layers.Layers.ToDictionary(l => l, l =>
            {
                var dst = new float[rows.Length * all.EmbeddingSize];
                for (var i = 0; i < rows.Length; i++) all.Row(l, rows[i]).CopyTo(dst.AsSpan(i * all.EmbeddingSize));
                return dst;
            });
            return new CapturedActivations(all.Layers, all.EmbeddingSize, rows.Select(r => all.RowSample[r] - offset).ToArray(), data, all.Positions);
        }
        return (Part(s => s < n, 0), Part(s => s >= n, n));
    }
}
