using System.CommandLine;
using System.Globalization;
using LlamaSteer.Steering.Contextual;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Methods.Clas;
using LlamaSteer.Vectors;

namespace LlamaSteer.Host.Cli;

/// <summary>
/// <c>llamasteer clas --objective lm</c>: CLAS trained as its paper trains it (w and b by AdamW on the completion
/// cross-entropy of target responses through the frozen model). Its options and run live here, apart from the ridge fit.
/// </summary>
internal sealed class ClasLmTraining
{
    public Option<string?> Train { get; } = new("--train") { Description = "lm: target completions, JSONL lines of {\"prompt\", \"response\"}" };
    public Option<string?> Validation { get; } = new("--validation") { Description = "lm: held-out completions for the best-epoch choice (default: FILE.validation.jsonl beside a .train.jsonl, else the last 10% of --train)" };
    public Option<int> Epochs { get; } = new("--epochs") { Description = "lm: passes over the targets", DefaultValueFactory = _ => 8 };
    public Option<int> Accumulation { get; } = new("--accumulation") { Description = "lm: examples whose gradients make one AdamW step", DefaultValueFactory = _ => 10 };
    public Option<float> WeightRate { get; } = new("--lr-w") { Description = "lm: AdamW learning rate of w", DefaultValueFactory = _ => 3e-3f };
    public Option<float> BiasRate { get; } = new("--lr-b") { Description = "lm: AdamW learning rate of b", DefaultValueFactory = _ => 0.1f };
    public Option<bool> Force { get; } = new("--force") { Description = "lm: overwrite an existing output file" };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Train, Validation, Epochs, Accumulation, WeightRate, BiasRate, Force }) command.Options.Add(o);
    }

    public int Run(ParseResult parse, CommonOptions common, string vectorPath, string? layers, string? output, CancellationToken ct)
    {
        var trainPath = parse.GetValue(Train) ?? throw new ArgumentException("--objective lm needs --train PAIRS.jsonl (lines of {\"prompt\", \"response\"}).");
        var epochs = parse.GetValue(Epochs);
        var accumulation = parse.GetValue(Accumulation);
        float lrW = parse.GetValue(WeightRate), lrB = parse.GetValue(BiasRate);
        if (epochs < 1) throw new ArgumentException($"--epochs must be at least 1, not {epochs}.");
        if (accumulation < 1) throw new ArgumentException($"--accumulation must be at least 1, not {accumulation}.");
        if (!float.IsFinite(lrW) || lrW <= 0) throw new ArgumentException($"--lr-w must be a positive finite number, not {lrW}.");
        if (!float.IsFinite(lrB) || lrB <= 0) throw new ArgumentException($"--lr-b must be a positive finite number, not {lrB}.");
        var outPath = output ?? ClasParameters.PathBeside(vectorPath);
        if (File.Exists(outPath) && !parse.GetValue(Force)) throw new ArgumentException($"{outPath} exists; pass --force to overwrite it.");

        var train = CompletionDataset.Load(trainPath);
        var validationPath = parse.GetValue(Validation) ?? Sibling(trainPath);
        var validation = validationPath is null ? null : CompletionDataset.Load(validationPath);

        BipoTraining.CheckArchitecture(common.ModelPath(parse));
        using var model = common.LoadModel(parse, ct);
        using var weights = ModelWeights.Load(common.ModelPath(parse));
        var vector = ControlVectorFile.Read(vectorPath, model.EmbeddingSize);
        var examples = train.Tokenize(model);
        IReadOnlyList<CompletionExample> validationExamples;
        if (validation is not null) validationExamples = validation.Tokenize(model);
        else
        {
            var held = Math.Max(1, examples.Count / 10);
            if (examples.Count - held < 1) throw new ArgumentException($"{trainPath} has {examples.Count} completion(s); give --validation FILE or more lines.");
            validationExamples = examples.Skip(examples.Count - held).ToList();
            examples = examples.Take(examples.Count - held).ToList();
        }
        var options = new ClasLmOptions
        {
            Epochs = epochs,
            GradientAccumulation = accumulation,
            WeightLearningRate = lrW,
            BiasLearningRate = lrB,
            Threads = parse.GetValue(common.Threads) ?? 1,
            Layers = layers is null ? null : Steering.LayerSet.Parse(layers, model.LayerCount).Layers.ToList(),
        };
        Console.Error.WriteLine($"CLAS-lm on layers {string.Join(",", options.Layers ?? vector.Layers)}: {examples.Count} targets, {validationExamples.Count} for validation; lr_w {lrW}, lr_b {lrB}, {epochs} epochs, accumulation {accumulation}");
        var result = TrainingProgressBar.Run("clas-lm", p => ClasLmTrainer.Train(model, weights, vector, examples, validationExamples, options, p, ct));
        result.Parameters.Save(outPath);

        var r = result.Report;
        Console.Out.WriteLine($"validation loss per epoch: {string.Join(" ", r.EpochValidationLoss.Select(l => l.ToString("F4", CultureInfo.InvariantCulture)))}; kept epoch {r.KeptEpoch}");
        Console.Out.WriteLine("layer  bias     |w|");
        foreach (var layer in result.Parameters.Strength.Layers)
            Console.Out.WriteLine($"{layer,5}  {result.Parameters.Strength.Bias(layer),7:F3}  {System.Numerics.Tensors.TensorPrimitives.Norm(result.Parameters.Strength.Weights(layer)),7:F3}");
        Console.Error.WriteLine($"wrote {outPath} ({r.Steps} steps, {r.TokensPerSecond:F0} tok/s); steer with generate --vector {vectorPath}:1 --clas");
        return ErrorReporter.Ok;
    }

    private static string? Sibling(string trainPath)
    {
        const string suffix = ".train.jsonl";
        if (!trainPath.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) return null;
        var candidate = trainPath[..^suffix.Length] + ".validation.jsonl";
        return File.Exists(candidate) ? candidate : null;
    }
}
