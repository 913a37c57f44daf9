using System.Globalization;
using LlamaSteer.Vectors;

namespace LlamaSteer.Steering;

/// <summary>Factories for steering terms that follow a recipe from the literature. Pure; thread-safe.</summary>
public static class SteeringTerms
{
    /// <summary>
    /// "Adjust to target" (Stolfo et al., 2024, "Improving Instruction-Following in Language Models through
    /// Activation Steering"): instead of adding a fixed amount, set each steered token's projection on the
    /// layer's unit direction to the mean projection of the positives (for an instruction vector: of the
    /// prompts with the instruction), as recorded in the vector's calibration
    /// (<see cref="VectorProvenance.Calibration"/>, written by training). One <see cref="SteeringOperator.Clamp"/>
    /// term per layer, its strength the layer's <see cref="LayerCalibration.PositiveMean"/>.
    /// </summary>
    /// <param name="layers">Layers to steer (those the vector has); null: all of the vector's.</param>
    /// <param name="window">Tokens to steer; null: all.</param>
    /// <exception cref="ArgumentException">No layer left to steer, or a steered layer without calibration.</exception>
    public static IReadOnlyList<SteeringTerm> AdjustToTarget(SteeringVector vector, LayerSet? layers = null, TokenWindow? window = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(vector);
        var what = name ?? "the vector";
        var steered = layers is null ? vector.Layers.ToArray() : vector.Layers.Where(layers.Contains).ToArray();
        if (steered.Length == 0)
            throw new ArgumentException($"{what} has no direction on the layers {layers} (it has {LayerSet.Describe(vector.Layers)}).");
        var calibration = vector.Provenance.Calibration;
        var missing = steered.Where(l => !calibration.ContainsKey(l)).ToArray();
        if (missing.Length > 0)
        {
            var has = calibration.Count == 0 ? "it has none" : $"it has calibration for layers {LayerSet.Of(calibration.Keys)}";
            throw new ArgumentException(
                $"{what} has no calibration for layer(s) {LayerSet.Of(missing)} ({has}): adjust-to-target needs the mean projection of the positives, which training records (llamasteer train, VectorTrainer).");
        }
        return steered.Select(l => new SteeringTerm(vector, calibration[l].PositiveMean, LayerSet.Of([l]), SteeringOperator.Clamp, window)
        {
            Name = name is null ? null : string.Create(CultureInfo.InvariantCulture, $"{name}@{l}"),
        }).ToArray();
    }
}
