using System.Globalization;

namespace LlamaSteer.Evaluation;

/// <summary>What a sweep's "effect" is: the probe's log-odds shift when there is a probe, else the keyword rate, else the check pass rate.</summary>
public enum EffectMeasure { None, ProbeShift, ConceptRate, CheckPassRate }

/// <summary>
/// Picks the setting to recommend: among cells with a non-zero strength whose neutral-text perplexity
/// ratio is at most the bound, the one with the largest effect towards the positive concept (ties: the
/// lower perplexity ratio, then the smaller strength). Pure.
/// </summary>
public static class SweepRecommender
{
    public static EffectMeasure Measure(SweepSettings settings) =>
        settings.Probe is not null ? EffectMeasure.ProbeShift
        : settings.Keywords.Count > 0 ? EffectMeasure.ConceptRate
        : settings.Checks.Count > 0 ? EffectMeasure.CheckPassRate
        : EffectMeasure.None;

    public static string Describe(EffectMeasure m) => m switch
    {
        EffectMeasure.ProbeShift => "probe log-odds shift",
        EffectMeasure.ConceptRate => "keyword rate change",
        EffectMeasure.CheckPassRate => "mean check pass-rate change",
        _ => "none",
    };

    /// <summary>The cell's effect relative to the unsteered baseline, or null when it was not measured.</summary>
    public static double? Effect(SweepMetrics cell, SweepMetrics baseline, EffectMeasure measure) => measure switch
    {
        EffectMeasure.ProbeShift => cell.Shift,
        EffectMeasure.ConceptRate => cell.ConceptRate - baseline.ConceptRate,
        EffectMeasure.CheckPassRate => cell.CheckPassRates.Count == 0 ? null
            : cell.CheckPassRates.Average(c => c.Value - baseline.CheckPassRates[c.Key]),
        _ => null,
    };

    public static (SweepRecommendation? Recommendation, string Text) Recommend(SweepMetrics baseline, IReadOnlyList<SweepCell> cells, SweepSettings settings, EffectMeasure measure)
    {
        var bound = settings.MaxPerplexityRatio;
        var b = Number(bound);
        if (measure == EffectMeasure.None)
            return (null, "no recommendation: nothing measures the concept (give a probe, --keywords or --check).");
        if (baseline.NeutralPerplexity is null)
            return (null, "no recommendation: without a neutral text the fluency cost cannot be bounded.");
        var scored = cells
            .Where(c => c.Strength != 0 && c.Metrics.PerplexityRatio is not null)
            .Select(c => (Cell: c, Effect: Effect(c.Metrics, baseline, measure) ?? double.NaN, Ratio: c.Metrics.PerplexityRatio!.Value))
            .Where(x => double.IsFinite(x.Effect))
            .ToList();
        var eligible = scored.Where(x => x.Ratio <= bound && x.Effect > 0).ToList();
        if (eligible.Count == 0)
        {
            var within = scored.Count(x => x.Ratio <= bound);
            return (null, $"no recommendation: no setting raises the {Describe(measure)} above zero while keeping the neutral-text perplexity ratio <= {b} ({within} of {scored.Count} steered settings stay under the bound).");
        }
        var best = eligible.OrderByDescending(x => x.Effect).ThenBy(x => x.Ratio).ThenBy(x => Math.Abs(x.Cell.Strength)).First();
        var r = new SweepRecommendation(best.Cell.Candidate, best.Cell.Layers, best.Cell.Strength, best.Effect, best.Ratio);
        var layers = best.Cell.Layers.Contains(',') || best.Cell.Layers.Contains('-') ? $"layers {r.Layers}" : $"layer {r.Layers}";
        var where = best.Cell.Layers == "prompt" ? "in front of the prompt" : $"on {layers} at strength {Number(r.Strength)}";
        var towards = measure == EffectMeasure.ProbeShift ? $" towards \"{settings.Probe!.PositiveWord}\"" : "";
        return (r, string.Create(CultureInfo.InvariantCulture,
            $"recommended: {r.Candidate} {where}: {Describe(measure)} {r.Effect:+0.00;-0.00}{towards}, neutral-text perplexity ratio {r.PerplexityRatio:F2} <= {b} (the largest effect whose fluency cost stays under the bound)."));
    }

    private static string Number(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
