using LlamaSteer.Models;
using LlamaSteer.Steering.Contextual;
using LlamaSteer.Training.Engine;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Parameters;
using LlamaSteer.Vectors;

namespace LlamaSteer.Training.Methods.Clas;

/// <summary>CLAS-lm's settings, defaulting to the reference code's (lr 3e-3 for w, 0.1 for b, 8 epochs, gradient accumulation 10, best epoch by validation loss).</summary>
public sealed record ClasLmOptions
{
    public float WeightLearningRate { get; init; } = 3e-3f;

    public float BiasLearningRate { get; init; } = 0.1f;

    public int Epochs { get; init; } = 8;

    public int GradientAccumulation { get; init; } = 10;

    /// <summary>AdamW weight decay (PyTorch's default).</summary>
    public float WeightDecay { get; init; } = 0.01f;

    public int Seed { get; init; } = 1;

    public int Threads { get; init; } = 1;

    /// <summary>Layers to train (default: every layer of the vector).</summary>
    public IReadOnlyList<int>? Layers { get; init; }
}

/// <summary>CLAS-lm's result: the parameters (bound to the vector, ready for <c>generate --clas</c>) and the run's report.</summary>
public sealed record ClasLmResult(ClasParameters Parameters, TrainingRunReport Report);

/// <summary>
/// Trains CLAS as its paper does: <see cref="ContextualStrengthParameters"/> + <see cref="ClasLmObjective"/> + target
/// completions, through the shared <see cref="Trainer{TExample}"/>, keeping the epoch with the lowest validation loss.
/// The learned coefficient scales the unit direction; it is saved rescaled to the vector's own direction (w/|v|, b/|v|)
/// with no clipping, so that <c>generate --vector v.gguf:1 --clas</c> applies exactly what was trained.
/// </summary>
public static class ClasLmTrainer
{
    /// <summary>The clip range saved with trained parameters: wide enough to be none.</summary>
    public const float NoClip = 1e30f;

    public static ClasLmResult Train(LlamaModel model, ModelWeights weights, SteeringVector vector, IReadOnlyList<CompletionExample> train,
        IReadOnlyList<CompletionExample> validation, ClasLmOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vector);
        var layers = options.Layers ?? vector.Layers;
        foreach (var l in layers)
            if (!vector.HasLayer(l)) throw new ArgumentException($"the vector has no layer {l} (it has {string.Join(",", vector.Layers)}).");
        if (!float.IsFinite(options.WeightLearningRate) || options.WeightLearningRate <= 0 || !float.IsFinite(options.BiasLearningRate) || options.BiasLearningRate <= 0)
            throw new ArgumentException("the CLAS learning rates must be positive finite numbers.");
        var strength = new ContextualStrengthParameters(layers.ToDictionary(l => l, l => vector.Direction(l).ToArray()), options.WeightLearningRate, options.BiasLearningRate);
        var trainer = new Trainer<CompletionExample>(weights, new ClasLmObjective(strength), new TrainerOptions
        {
            Epochs = options.Epochs,
            BatchSize = 1,
            GradientAccumulation = options.GradientAccumulation,
            LearningRate = options.WeightLearningRate,
            WeightDecay = options.WeightDecay,
            CosineSchedule = false,
            Seed = options.Seed,
            Threads = options.Threads,
            KeepBestByValidation = true,
        });
        var report = trainer.Train(train, validation, progress, cancellationToken);
        var saved = layers.Select(l =>
        {
            var norm = vector.Norm(l);
            return new ClasLayer(l, strength.Weights(l).Select(w => w / norm).ToArray(), strength.Bias(l) / norm);
        });
        var parameters = new ClasParameters(new LinearContextualStrength(vector.EmbeddingSize, saved, -NoClip, NoClip), ClasParameters.Fingerprint(vector),
            $"lm: completion cross-entropy, AdamW lr_w={options.WeightLearningRate} lr_b={options.BiasLearningRate}, {options.Epochs} epochs, accumulation {options.GradientAccumulation}, kept epoch {report.KeptEpoch}");
        return new ClasLmResult(parameters, report);
    }
}
