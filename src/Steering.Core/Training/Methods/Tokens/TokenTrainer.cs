using LlamaSteer.Models;
using LlamaSteer.Prompts;
using LlamaSteer.Training.Engine;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Parameters;

namespace LlamaSteer.Training.Methods.Tokens;

/// <summary>A trained steering token with the KL to its teacher on held-out prompts before and after training.</summary>
public sealed record TokenTrainingResult(SteeringToken Token, double HeldOutKlBefore, double HeldOutKlAfter, int TrainExamples, int HeldOutExamples, TrainingRunReport Report);

/// <summary>
/// Steering tokens ("Compositional Steering of Large Language Models with Steering Tokens") as a composition of one
/// trainable embedding (<see cref="TrainableTensor"/>), the <see cref="TokenDistillationObjective"/> and teacher samples
/// (<see cref="DistillationData"/>), through the shared <see cref="Trainer{TExample}"/>. A behaviour token starts at the
/// mean of its instruction's token embeddings; a composition token at the embedding of "and", trained on pairs with the
/// behaviour tokens frozen. Every <see cref="TokenTrainingOptions.HoldOutEvery"/>-th base prompt is held out.
/// </summary>
public static class TokenTrainer
{
    /// <summary>Distils <paramref name="instruction"/> into the token <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">An empty instruction, fewer than two base prompts, or invalid options.</exception>
    public static TokenTrainingResult TrainBehaviour(LlamaModel model, ModelWeights weights, string name, string instruction, IReadOnlyList<string> prompts,
        TokenTrainingOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        SteeringTokenFile.CheckName(name);
        if (string.IsNullOrWhiteSpace(instruction)) throw new ArgumentException("the instruction is empty.");
        var ids = model.Tokenize(instruction, addSpecial: false);
        if (ids.Length == 0) throw new ArgumentException("the instruction has no tokens.");
        var tensor = new TrainableTensor($"token_{name}", [model.EmbeddingSize], EmbeddingRows.Mean(weights, ids));
        var run = Train(model, weights, [new DistillationTask([instruction], [name])], prompts, new Dictionary<string, TrainableTensor> { [name] = tensor },
            new Dictionary<string, float[]>(), options, progress, cancellationToken);
        return run.Result(new SteeringToken(name, tensor.Snapshot(), instruction, run.Describe(options, prompts.Count)));
    }

    /// <summary>
    /// Trains the composition token <paramref name="name"/> on <paramref name="pairs"/> of behaviour tokens from
    /// <paramref name="behaviours"/> (frozen): student a ⊕ ∧ ⊕ b against teacher I_a ⊕ I_b.
    /// </summary>
    /// <exception cref="ArgumentException">No pair, a pair naming a token that is missing or has no instruction, fewer than two base prompts, or invalid options.</exception>
    public static TokenTrainingResult TrainComposition(LlamaModel model, ModelWeights weights, string name, IReadOnlyList<SteeringToken> behaviours,
        IReadOnlyList<(string A, string B)> pairs, IReadOnlyList<string> prompts, TokenTrainingOptions options,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        SteeringTokenFile.CheckName(name);
        if (pairs.Count == 0) throw new ArgumentException("there is no pair to train the composition token on.");
        var byName = behaviours.ToDictionary(t => t.Name);
        SteeringToken Behaviour(string n) => byName.TryGetValue(n, out var t) && t.Instruction is not null && !t.IsComposition ? t
            : throw new ArgumentException($"'{n}' is not a behaviour token with an instruction (the file has {string.Join(", ", behaviours.Select(b => b.Name))}).");
        var tasks = pairs.Select(p => new DistillationTask([Behaviour(p.A).Instruction!, Behaviour(p.B).Instruction!], [p.A, name, p.B])).ToList();
        if (byName.ContainsKey(name)) throw new ArgumentException($"the token name '{name}' repeats: the file already has it.");
        var tensor = new TrainableTensor($"token_{name}", [model.EmbeddingSize], EmbeddingRows.Mean(weights, model.Tokenize("and", addSpecial: false)));
        var frozen = pairs.SelectMany(p => new[] { p.A, p.B }).Distinct().ToDictionary(n => n, n => byName[n].Row);
        var run = Train(model, weights, tasks, prompts, new Dictionary<string, TrainableTensor> { [name] = tensor }, frozen, options, progress, cancellationToken);
        var line = $"composition of {string.Join(", ", pairs.Select(p => $"{p.A}+{p.B}"))}; {run.Describe(options, prompts.Count)}";
        return run.Result(new SteeringToken(name, tensor.Snapshot(), null, line, IsComposition: true));
    }

    /// <summary>The base prompts trained on and those held out: every <paramref name="holdOutEvery"/>-th (the last one when there are fewer).</summary>
    public static (IReadOnlyList<string> Train, IReadOnlyList<string> HeldOut) Split(IReadOnlyList<string> prompts, int holdOutEvery)
    {
        var heldOut = prompts.Where((_, i) => i % holdOutEvery == holdOutEvery - 1 || i == prompts.Count - 1 && prompts.Count < holdOutEvery).ToList();
        return (prompts.Where((_, i) => !(i % holdOutEvery == holdOutEvery - 1 || i == prompts.Count - 1 && prompts.Count < holdOutEvery)).ToList(), heldOut);
    }

    /// <summary>The mean KL(teacher || student) of <paramref name="examples"/> with the given token rows (forward only).</summary>
    public static double MeanKl(ModelWeights weights, IReadOnlyList<DistillationExample> examples, IReadOnlyDictionary<string, float[]> rows, int threads = 1)
    {
        var trainer = new Trainer<DistillationExample>(weights, new TokenDistillationObjective(new Dictionary<string, TrainableTensor>(), rows), new TrainerOptions { Threads = threads });
        return trainer.Evaluate(examples) - examples.Average(e => e.TeacherEntropy);
    }

    private sealed record Run(double Before, double After, int TrainExamples, int HeldOutExamples, TrainingRunReport Report)
    {
        public TokenTrainingResult Result(SteeringToken token) => new(token, Before, After, TrainExamples, HeldOutExamples, Report);

        public string Describe(TokenTrainingOptions options, int prompts) =>
            $"{options.Describe(prompts)}; held-out KL {Before:F4} -> {After:F4} nats/token (kept epoch {Report.KeptEpoch})";
    }

    private static Run Train(LlamaModel model, ModelWeights weights, IReadOnlyList<DistillationTask> tasks, IReadOnlyList<string> prompts,
        Dictionary<string, TrainableTensor> trainable, Dictionary<string, float[]> frozen, TokenTrainingOptions options,
        IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        options.Validate();
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count < 2) throw new ArgumentException($"at least two base prompts are needed (one is held out); the file has {prompts.Count}.");
        var (train, heldOut) = Split(prompts, options.HoldOutEvery);
        var sampling = new DistillationSampling(options.Samples, options.MaxTokens, (uint)options.Seed, options.Threads);
        var trainExamples = DistillationData.Build(model, weights, tasks, train, sampling, cancellationToken);
        var validation = DistillationData.Build(model, weights, tasks, heldOut, sampling with { Seed = sampling.Seed + 1_000_000 }, cancellationToken);
        var trainer = new Trainer<DistillationExample>(weights, new TokenDistillationObjective(trainable, frozen), new TrainerOptions
        {
            Epochs = options.Epochs,
            GradientAccumulation = options.GradientAccumulation,
            LearningRate = options.LearningRate,
            CosineSchedule = true,
            Seed = options.Seed,
            Threads = options.Threads,
            KeepBestByValidation = true,
        });
        var entropy = validation.Average(e => e.TeacherEntropy);
        var before = trainer.Evaluate(validation) - entropy;
        var report = trainer.Train(trainExamples, validation, progress, cancellationToken);
        var after = trainer.Evaluate(validation) - entropy;
        return new Run(before, after, trainExamples.Count, validation.Count, report);
    }
}
