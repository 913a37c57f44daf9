using System.CommandLine;
using System.Globalization;
using LlamaSteer.Gguf;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Methods.Clas;
using LlamaSteer.Training.Methods.Tuning;
using LlamaSteer.Vectors;

namespace LlamaSteer.Host.Cli;

/// <summary>
/// <c>llamasteer tune</c>: representation tuning. Trains chosen block matrices so that the model's own activations carry
/// a vector's direction (<c>--mode in</c>) or lose it (<c>--mode out</c>), with token cross-entropy on target responses
/// plus λ times the representation loss, and writes a model copy with the tuned tensors.
/// </summary>
internal static class TuneCommand
{
    /// <summary>The folders a shipped dataset name is looked up in (NAME.train.jsonl).</summary>
    private static readonly string[] ShippedFolders = ["tuning", "clas"];

    public static Command Create()
    {
        var common = new CommonOptions();
        var vector = new Option<string>("--vector") { Description = "The control-vector file whose direction to tune in or out", Required = true };
        var layers = new Option<string>("--layers") { Description = "Layers whose outputs carry the representation loss; their blocks' tensors train (e.g. 1-4)", Required = true };
        var mode = new Option<string>("--mode") { Description = "in: align the hidden states with the direction ((1 - cos)/2) | out: make them orthogonal (|cos|)", Required = true };
        var dataset = new Option<string>("--dataset") { Description = "Target completions, JSONL lines of {\"prompt\", \"response\"}: a file, or a shipped name (sad-completions, happy-completions)", Required = true };
        var validation = new Option<string?>("--validation") { Description = "Held-out completions (default: NAME.validation.jsonl beside a NAME.train.jsonl)" };
        var tensors = new Option<string>("--tensors") { Description = $"Block matrices to train: {string.Join(", ", BlockTensors.All)}", DefaultValueFactory = _ => "ffn_down,attn_output" };
        var rank = new Option<int?>("--rank") { Description = "Train a low-rank update W + B·A of this rank instead of full F32 copies" };
        var lambda = new Option<float>("--lambda") { Description = "Weight of the representation loss beside the token loss", DefaultValueFactory = _ => 1f };
        var type = new Option<string>("--type") { Description = "Type of the tuned tensors in the output: original (re-quantized to the model's) | f32 | f16", DefaultValueFactory = _ => "original" };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the completions", DefaultValueFactory = _ => 4 };
        var rate = new Option<float>("--lr") { Description = "AdamW peak learning rate (cosine decay)", DefaultValueFactory = _ => 1e-3f };
        var accumulation = new Option<int>("--accumulation") { Description = "Completions whose gradients make one step", DefaultValueFactory = _ => 4 };
        var seed = new Option<int>("--seed") { Description = "Seeds shuffling and the low-rank initialisation", DefaultValueFactory = _ => 1 };
        var force = new Option<bool>("--force") { Description = "Replace an existing output file" };
        var output = new Option<string>("--output", "-o") { Description = "Where to write the tuned model", Required = true };
        var command = new Command("tune", "Representation tuning: fine-tune block weights so the model's own activations carry (or lose) a vector's direction, and write the tuned model");
        common.AddTo(command);
        foreach (var o in new Option[] { vector, layers, mode, dataset, validation, tensors, rank, lambda, type, epochs, rate, accumulation, seed, force, output }) command.Options.Add(o);

        command.SetAction((parse, ct) => ErrorReporter.Report(() =>
        {
            var modelPath = common.ModelPath(parse);
            var vectorPath = parse.GetValue(vector)!;
            var trainPath = Dataset(parse.GetValue(dataset)!);
            var validationPath = parse.GetValue(validation) ?? Sibling(trainPath);
            var outputPath = parse.GetValue(output)!;
            var tuningMode = parse.GetValue(mode)!.ToLowerInvariant() switch
            {
                "in" => TuningMode.In,
                "out" => TuningMode.Out,
                var other => throw new ArgumentException($"unknown --mode '{other}': use in or out."),
            };
            var outputType = parse.GetValue(type)!.ToLowerInvariant() switch
            {
                "original" => TunedTensorType.Original,
                "f32" => TunedTensorType.F32,
                "f16" => TunedTensorType.F16,
                var other => throw new ArgumentException($"unknown --type '{other}': use original, f32 or f16."),
            };
            var weightLambda = parse.GetValue(lambda);
            if (!float.IsFinite(weightLambda) || weightLambda < 0) throw new ArgumentException($"--lambda must be a finite number of at least 0, not {weightLambda}.");
            TuningChecks.Output(outputPath, new[] { modelPath, vectorPath, trainPath }.Concat(validationPath is null ? [] : [validationPath]), parse.GetValue(force));

            var trainSet = CompletionDataset.Load(trainPath);
            var validationSet = validationPath is null ? null : CompletionDataset.Load(validationPath);
            BipoTraining.CheckArchitecture(modelPath);
            using var model = common.LoadModel(parse, ct);
            var gguf = GgufFile.Read(modelPath);
            var v = ControlVectorFile.Read(vectorPath);
            var options = new TuningOptions
            {
                Layers = Steering.LayerSet.Parse(parse.GetValue(layers)!, model.LayerCount).Layers.ToList(),
                Mode = tuningMode,
                Tensors = parse.GetValue(tensors)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
                Rank = parse.GetValue(rank),
                Lambda = weightLambda,
                OutputType = outputType,
                Epochs = parse.GetValue(epochs),
                LearningRate = parse.GetValue(rate),
                GradientAccumulation = parse.GetValue(accumulation),
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(common.Threads) ?? 1,
            };
            using var weights = Training.Graph.ModelWeights.Load(modelPath);
            TuningChecks.Options(options, gguf, weights.Hyperparameters, v);
            var train = trainSet.Tokenize(model);
            var held = validationSet?.Tokenize(model) ?? [];
            Console.Error.WriteLine($"tuning {options.Mode.ToString().ToLowerInvariant()} on layers {string.Join(",", options.Layers)}: {string.Join(",", options.Tensors)} " +
                $"({(options.Rank is { } r ? $"rank {r}" : "full F32 copies")}), lambda {options.Lambda}; {train.Count} completions, {held.Count} held out");
            var result = TrainingProgressBar.Run("tune", p => RepresentationTuner.Tune(gguf, weights, v, train, held, options, outputPath, p, ct));
            Report(result, options, outputPath);
            return Task.FromResult(ErrorReporter.Ok);
        }));
        return command;
    }

    private static void Report(TuningResult result, TuningOptions options, string outputPath)
    {
        var set = result.MeasuredOnValidation ? "held-out" : "training";
        var types = string.Join(", ", result.WrittenTypes.Values.Distinct().Select(GgmlTypeInfo.Name));
        Console.Out.WriteLine($"{set} completions     token loss  repr loss  mean cos");
        Line("base model", result.Before);
        Line("tuned (f32)", result.After);
        Line($"written ({types})", result.Written);
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"writing the tuned tensors as {types} cost {result.Written.Token - result.After.Token:+0.0000;-0.0000;0.0000} token loss and {result.Written.Representation - result.After.Representation:+0.0000;-0.0000;0.0000} representation loss"));
        Console.Error.WriteLine($"wrote {outputPath} ({result.WrittenTypes.Count} tuned tensors, {result.TrainableValues:N0} trained values, {result.Report.Steps} steps, kept epoch {result.Report.KeptEpoch}, {result.Report.TokensPerSecond:F0} tok/s)");

        void Line(string name, TuningLosses l) =>
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-22}  {l.Token,10:F4}  {l.Representation,9:F4}  {l.Cosine,8:F4}"));
    }

    private static string Dataset(string nameOrPath)
    {
        if (File.Exists(nameOrPath) || nameOrPath.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) return nameOrPath;
        foreach (var folder in ShippedFolders)
        {
            var candidate = RepoFiles.Find(Path.Combine(RepoFiles.DatasetFolder, folder, nameOrPath + ".train.jsonl"));
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{nameOrPath}: no such completion dataset (a file, or a shipped name such as sad-completions).");
    }

    private static string? Sibling(string trainPath)
    {
        const string suffix = ".train.jsonl";
        if (!trainPath.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) return null;
        var candidate = trainPath[..^suffix.Length] + ".validation.jsonl";
        return File.Exists(candidate) ? candidate : null;
    }
}
