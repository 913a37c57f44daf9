using System.Diagnostics;
using System.Numerics.Tensors;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Optimizer;
using LlamaSteer.Training.Parameters;

namespace LlamaSteer.Training.Engine;

/// <summary>
/// The one training loop every gradient method shares: seeded shuffling, a graph per example through the frozen model,
/// gradients averaged over a batch and over accumulated batches, AdamW with warm-up and cosine decay, a validation pass
/// per epoch keeping the best parameters, checkpoints, and a stop on NaN that restores the last finite state. A method
/// is an <see cref="ITrainingObjective{TExample}"/> plus data. One run at a time; not thread-safe.
/// </summary>
public sealed class Trainer<TExample>(ModelWeights weights, ITrainingObjective<TExample> objective, TrainerOptions options)
{
    /// <summary>Called at the end of every epoch with the parameters then (write checkpoints here).</summary>
    public Action<TrainingCheckpoint>? OnEpochEnd { get; init; }

    /// <summary>Trains on <paramref name="train"/>, validating on <paramref name="validation"/> when given.</summary>
    /// <exception cref="TrainingDivergedException">A loss or gradient became non-finite; the parameters hold the last finite state.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the parameters hold the state after the last full step.</exception>
    public TrainingRunReport Train(IReadOnlyList<TExample> train, IReadOnlyList<TExample>? validation = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        options.Validate();
        if (train.Count == 0) throw new ArgumentException("There is no training example.");
        var random = new Random(options.Seed);
        var batchesPerEpoch = (train.Count + options.BatchSize - 1) / options.BatchSize;
        var stepsPerEpoch = (batchesPerEpoch + options.GradientAccumulation - 1) / options.GradientAccumulation;
        var totalSteps = stepsPerEpoch * options.Epochs;
        var schedule = new LearningRateSchedule(options.WarmupSteps, totalSteps, options.CosineSchedule);
        var optimizer = new AdamW(options.LearningRate, options.WeightDecay);
        var parameters = objective.Parameters;
        using var runner = new GraphRunner(options.Threads);
        var clock = Stopwatch.StartNew();
        long tokens = 0;
        var epochLoss = new List<double>();
        var validationLoss = new List<double>();
        var best = (Epoch: 0, Loss: double.PositiveInfinity, Values: Snapshot(parameters));
        var step = 0;

        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var order = Enumerable.Range(0, train.Count).ToArray();
            random.Shuffle(order);
            var sum = 0.0;
            var counted = 0;
            for (var first = 0; first < order.Length; first += options.BatchSize * options.GradientAccumulation)
            {
                var members = order.Skip(first).Take(options.BatchSize * options.GradientAccumulation).Select(i => train[i]).ToList();
                var (loss, gradients, used, terms) = Accumulate(runner, members, random, cancellationToken);
                tokens += used;
                var lastGood = Snapshot(parameters);
                if (!double.IsFinite(loss) || gradients.Values.Any(g => !TensorPrimitives.IsFiniteAll<float>(g)))
                    throw new TrainingDivergedException($"training diverged at step {step + 1} (epoch {epoch}): the loss or its gradient is not finite (loss {loss}); lower the learning rate.");
                var factor = schedule.Factor(step);
                optimizer.Step(gradients, factor);
                step++;
                if (parameters.Any(p => !TensorPrimitives.IsFiniteAll<float>(p.Values)))
                {
                    Restore(parameters, lastGood);
                    throw new TrainingDivergedException($"training diverged at step {step} (epoch {epoch}): a parameter became non-finite; lower the learning rate.");
                }
                sum += loss * members.Count;
                counted += members.Count;
                progress?.Report(new TrainingProgress(epoch, step, totalSteps, loss, validationLoss.Count > 0 ? validationLoss[^1] : null,
                    tokens / Math.Max(1e-9, clock.Elapsed.TotalSeconds), options.LearningRate * factor) { Terms = terms });
            }
            epochLoss.Add(sum / counted);
            double? val = null;
            if (validation is { Count: > 0 })
            {
                val = Evaluate(runner, validation, new Random(options.Seed), cancellationToken);
                validationLoss.Add(val.Value);
                if (!double.IsFinite(val.Value))
                    throw new TrainingDivergedException($"training diverged in epoch {epoch}: the validation loss is not finite.");
                if (val.Value < best.Loss) best = (epoch, val.Value, Snapshot(parameters));
                progress?.Report(new TrainingProgress(epoch, step, totalSteps, epochLoss[^1], val, tokens / Math.Max(1e-9, clock.Elapsed.TotalSeconds), options.LearningRate * schedule.Factor(Math.Max(0, step - 1))));
            }
            OnEpochEnd?.Invoke(new TrainingCheckpoint(epoch, epochLoss[^1], val, parameters.ToDictionary(p => p.Name, p => p.Snapshot())));
        }

        var kept = options.Epochs;
        if (validation is { Count: > 0 } && options.KeepBestByValidation)
        {
            Restore(parameters, best.Values);
            kept = best.Epoch;
        }
        return new TrainingRunReport(epochLoss, validationLoss, kept, step, tokens / Math.Max(1e-9, clock.Elapsed.TotalSeconds), runner.PeakComputeBytes, null);
    }

    /// <summary>The mean loss of <paramref name="examples"/> at the current parameters (forward only).</summary>
    public double Evaluate(IReadOnlyList<TExample> examples, int seed = 1, CancellationToken cancellationToken = default)
    {
        using var runner = new GraphRunner(options.Threads);
        return Evaluate(runner, examples, new Random(seed), cancellationToken);
    }

    private double Evaluate(GraphRunner runner, IReadOnlyList<TExample> examples, Random random, CancellationToken cancellationToken)
    {
        var sum = 0.0;
        foreach (var example in examples)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var step = NewStep();
            var loss = step.Output(objective.BuildLoss(step, new LlamaGraphBuilder(weights, step), example, random));
            runner.Forward(step);
            sum += loss.ReadScalar();
        }
        return sum / examples.Count;
    }

    private (double Loss, Dictionary<TrainableTensor, float[]> Gradients, long Tokens, IReadOnlyList<(string, double)> Terms) Accumulate(
        GraphRunner runner, IReadOnlyList<TExample> members, Random random, CancellationToken cancellationToken)
    {
        var gradients = objective.Parameters.ToDictionary(p => p, p => new float[p.Values.Length]);
        var loss = 0.0;
        long tokens = 0;
        var terms = new List<(string Name, double Sum)>();
        foreach (var example in members)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var step = NewStep();
            step.SetLoss(objective.BuildLoss(step, new LlamaGraphBuilder(weights, step), example, random));
            runner.ForwardBackward(step);
            loss += step.Loss.ReadScalar();
            for (var i = 0; i < step.Terms.Count; i++)
            {
                if (i == terms.Count) terms.Add((step.Terms[i].Name, 0));
                terms[i] = (terms[i].Name, terms[i].Sum + step.Terms[i].Scalar.ReadScalar());
            }
            foreach (var (tensor, g) in runner.Gradients(step))
                if (gradients.TryGetValue(tensor, out var sum)) TensorPrimitives.Add(sum, g, sum);
            tokens += objective.TokenCount(example);
        }
        foreach (var g in gradients.Values) TensorPrimitives.Divide(g, members.Count, g);
        return (loss / members.Count, gradients, tokens, terms.Select(t => (t.Name, t.Sum / members.Count)).ToList());
    }

    private GraphStep NewStep() => new(LlamaGraphBuilder.NodeBudget(weights.Hyperparameters.LayerCount, 2));

    private static Dictionary<TrainableTensor, float[]> Snapshot(IReadOnlyList<TrainableTensor> parameters) => parameters.ToDictionary(p => p, p => p.Snapshot());

    private static void Restore(IReadOnlyList<TrainableTensor> parameters, Dictionary<TrainableTensor, float[]> values)
    {
        foreach (var p in parameters) values[p].CopyTo(p.Values, 0);
    }
}
