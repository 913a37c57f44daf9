using LlamaSteer.Gguf;
using LlamaSteer.Training.Engine;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Methods.Clas;
using LlamaSteer.Vectors;

namespace LlamaSteer.Training.Methods.Tuning;

/// <summary>What a tuning run measured and wrote.</summary>
/// <param name="Before">The frozen model's losses on the measured set (validation when given, else training).</param>
/// <param name="After">The tuned weights' losses on the same set, in F32 as trained.</param>
/// <param name="Written">The written file's losses on the same set, loaded back: After minus this is what converting the tuned tensors cost.</param>
/// <param name="TrainBefore">The frozen model's losses on the training set.</param>
/// <param name="TrainAfter">The tuned weights' losses on the training set.</param>
/// <param name="WrittenTypes">GGUF name → the type each tuned tensor was written in.</param>
/// <param name="TrainableValues">How many values trained (full copies, or A and B of the low-rank updates).</param>
public sealed record TuningResult(
    TuningLosses Before,
    TuningLosses After,
    TuningLosses Written,
    TuningLosses TrainBefore,
    TuningLosses TrainAfter,
    bool MeasuredOnValidation,
    IReadOnlyDictionary<string, GgmlType> WrittenTypes,
    long TrainableValues,
    TrainingRunReport Report);

/// <summary>
/// Representation tuning ("Representation Tuning", Ackerman 2024): trains chosen block matrices (full F32 copies or
/// low-rank updates, <see cref="TunedWeights"/>) so that the model's own hidden states at the chosen layers carry a
/// direction (or lose it), with <see cref="TuningObjective"/> on target completions through the shared
/// <see cref="Trainer{TExample}"/>, then writes a model copy with the tuned tensors (<see cref="TunedModelWriter"/>)
/// and measures the written file again, so the cost of converting back to F16 or the original quantized type is
/// reported. Stateless; one run at a time per <see cref="ModelWeights"/>.
/// </summary>
public static class RepresentationTuner
{
    /// <exception cref="ArgumentException">An invalid option (layer, tensor name, rank, lambda, output type).</exception>
    /// <exception cref="TuningException">The vector was made for another model.</exception>
    /// <exception cref="TrainingDivergedException">The loss became non-finite; nothing was written.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; nothing was written.</exception>
    public static TuningResult Tune(GgufFile model, ModelWeights weights, SteeringVector vector, IReadOnlyList<CompletionExample> train,
        IReadOnlyList<CompletionExample> validation, TuningOptions options, string outputPath,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(vector);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        if (train.Count == 0) throw new ArgumentException("there is no training completion.");
        TuningChecks.Options(options, model, weights.Hyperparameters, vector);

        var units = options.Layers.Distinct().Order().ToDictionary(l => l, l =>
        {
            var norm = vector.Norm(l);
            if (!(norm > 0) || !float.IsFinite(norm)) throw new TuningException($"the vector's direction at layer {l} has no usable norm ({norm}).");
            return vector.Direction(l).ToArray().Select(x => x / norm).ToArray();
        });
        List<TunedTarget> targets;
        using (var reader = new GraphRunner(options.Threads))
            targets = [.. units.Keys.SelectMany(l => options.Tensors.Distinct().Select(t => FrozenMatrices.Read(weights, reader, l, t)))];
        TunedWeights tuned = options.Rank is { } rank ? new LowRankUpdates(targets, rank, options.Seed) : new WeightCopies(targets);
        var frozen = new TuningObjective(units, options.Mode, options.Lambda, null);
        var objective = new TuningObjective(units, options.Mode, options.Lambda, tuned);
        var measured = validation.Count > 0 ? validation : train;

        var before = TuningLosses.Measure(weights, frozen, measured, options.Threads, cancellationToken);
        var trainBefore = ReferenceEquals(measured, train) ? before : TuningLosses.Measure(weights, frozen, train, options.Threads, cancellationToken);
        var report = new Trainer<CompletionExample>(weights, objective, new TrainerOptions
        {
            Epochs = options.Epochs,
            GradientAccumulation = options.GradientAccumulation,
            LearningRate = options.LearningRate,
            WeightDecay = 0,
            Seed = options.Seed,
            Threads = options.Threads,
            KeepBestByValidation = true,
        }).Train(train, validation.Count > 0 ? validation : null, progress, cancellationToken);
        var after = TuningLosses.Measure(weights, objective, measured, options.Threads, cancellationToken);
        var trainAfter = ReferenceEquals(measured, train) ? after : TuningLosses.Measure(weights, objective, train, options.Threads, cancellationToken);

        var record = new Dictionary<string, string>
        {
            ["vector"] = VectorFingerprint.Of(vector),
            ["mode"] = options.Mode.ToString().ToLowerInvariant(),
            ["layers"] = string.Join(",", units.Keys),
            ["tensors"] = string.Join(",", options.Tensors.Distinct()),
            ["rank"] = options.Rank?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "full",
            ["lambda"] = TunedModelWriter.Format(options.Lambda),
            ["epochs"] = report.KeptEpoch.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var types = TunedModelWriter.Write(model, targets.ToDictionary(t => t.GgufName, tuned.Weight), options.OutputType, record, outputPath, cancellationToken);
        using var written = ModelWeights.Load(outputPath);
        var writtenLosses = TuningLosses.Measure(written, frozen, measured, options.Threads, cancellationToken);
        return new TuningResult(before, after, writtenLosses, trainBefore, trainAfter, validation.Count > 0, types,
            tuned.Tensors.Sum(t => (long)t.Values.Length), report);
    }
}
