using LlamaSteer.Models;
using LlamaSteer.Training.Engine;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Parameters;
using LlamaSteer.Vectors;

namespace LlamaSteer.Training.Methods.Bipo;

/// <summary>BiPO's result: the vector, the run's report, and the held-out preference margin at −v, 0 and +v.</summary>
public sealed record BipoResult(SteeringVector Vector, TrainingRunReport Report, PreferenceMargins? HeldOut, int TrainPairs, int HeldOutPairs);

/// <summary>
/// Trains a BiPO steering vector: the composition of <see cref="LayerVectors"/> (the parameters),
/// <see cref="BipoObjective"/> (the loss) and a preference dataset (the data), run by the shared
/// <see cref="Trainer{TExample}"/>. Held-out pairs, when given, are scored afterwards by llama.cpp with the vector as
/// a control vector. Not thread-safe.
/// </summary>
public static class BipoTrainer
{
    /// <exception cref="ArgumentException">Invalid options.</exception>
    /// <exception cref="Datasets.DatasetFormatException">A pair the model cannot take.</exception>
    /// <exception cref="TrainingDivergedException">The loss became non-finite.</exception>
    public static BipoResult Train(LlamaModel model, ModelWeights weights, PreferenceDataset data, PreferenceDataset? heldOutData, BipoOptions options,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default, Action<int, SteeringVector>? onEpochEnd = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        options.Validate(model.LayerCount);
        var train = PreferenceTokenizer.Tokenize(model, data.Name, data.Pairs, cancellationToken);
        var heldOut = heldOutData is null ? [] : PreferenceTokenizer.Tokenize(model, heldOutData.Name, heldOutData.Pairs, cancellationToken);

        var n = model.EmbeddingSize;
        var initial = options.Init == BipoInit.Mean ? MeanDifference.Compute(weights, train, options.Layers, options.Threads, cancellationToken) : null;
        var vectors = new LayerVectors(options.Layers, n, l => initial?[l]);
        var trainer = new Trainer<TokenizedPreference>(weights, new BipoObjective(vectors, options.Beta), new TrainerOptions
        {
            Epochs = options.Epochs,
            BatchSize = options.BatchSize,
            LearningRate = options.LearningRate,
            WeightDecay = options.WeightDecay,
            WarmupSteps = options.WarmupSteps,
            Seed = options.Seed,
            Threads = options.Threads,
            KeepBestByValidation = false,
        })
        {
            OnEpochEnd = onEpochEnd is null ? null : c => onEpochEnd(c.Epoch, new SteeringVector(n, options.Layers.ToDictionary(l => l, l => c.Values[$"steer-{l}"]))),
        };
        var report = trainer.Train(train, null, progress, cancellationToken);

        var vector = new SteeringVector(n, options.Layers.ToDictionary(l => l, l => vectors.Vector(l).ToArray()), model.Info.Name ?? Path.GetFileName(model.Info.Path),
            new VectorProvenance
            {
                Method = "bipo",
                DatasetName = data.Name,
                DatasetSha256 = data.Sha256,
                ModelFile = Path.GetFileName(model.Info.Path),
                ModelEmbeddingSize = n,
                Options = $"beta={options.Beta}, lr={options.LearningRate}, epochs={options.Epochs}, batch={options.BatchSize}, weight_decay={options.WeightDecay}, warmup={options.WarmupSteps}, init={options.Init}, seed={options.Seed}, train_pairs={train.Count}",
                CreatedUtc = DateTime.UtcNow.ToString("O"),
            });
        var margins = heldOut.Count > 0 ? PreferenceMargins.Measure(model, vector, heldOut, cancellationToken) : null;
        return new BipoResult(vector, report, margins, train.Count, heldOut.Count);
    }
}
