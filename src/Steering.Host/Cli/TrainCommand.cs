using System.CommandLine;
using LlamaSteer.Capture;
using LlamaSteer.Cli.Outputs;
using LlamaSteer.Datasets;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;
using LlamaSteer.Vectors.Extraction;
using Spectre.Console;

namespace LlamaSteer.Host.Cli;

/// <summary><c>llamasteer train</c>: turn a contrastive dataset into a control-vector file.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var dataset = new Option<string?>("--dataset", "-d") { Description = "Contrastive JSONL dataset: a file, or a shipped dataset's name such as tinystories-happy-sad (see vectors/README.md)" };
        var instruction = new Option<string?>("--instruction") { Description = "Train an instruction vector: this instruction text ..." };
        var prompts = new Option<string?>("--prompts") { Description = "... appended to each base prompt of this file (one per line)" };
        var method = new Option<string>("--method") { Description = "mean | mean-centred | pca-diff | pca-center | probe | bipo (gradient-trained from preference pairs)", DefaultValueFactory = _ => "mean" };
        var layers = new Option<string?>("--layers") { Description = "Layers to extract (default: 1 to the last layer)" };
        var positions = new Option<string>("--positions") { Description = "last | mean (over the completion's tokens) | all (every completion token as its own sample)", DefaultValueFactory = _ => "last" };
        var scaling = new Option<string>("--scaling") { Description = "separation (strength 1 = the class distance) | unit | raw", DefaultValueFactory = _ => "separation" };
        var chat = new Option<bool>("--chat") { Description = "Wrap samples in the model's chat template" };
        var chatTemplate = new Option<string?>("--chat-template") { Description = "Built-in chat template name when the model has none" };
        var output = new Option<string>("--output", "-o") { Description = "Control-vector file to write", Required = true };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing output file (never an input: an output that is the model, dataset, prompts or cache is always refused)" };
        var cache = new Option<string?>("--cache") { Description = "Activation cache (GGUF): reused when it holds this exact capture, so other methods skip the pass over the dataset" };
        var command = new Command("train", "Extract a steering vector from contrastive pairs and write a llama.cpp control-vector file");
        common.AddTo(command);
        foreach (var o in new Option[] { dataset, instruction, prompts, method, layers, positions, scaling, chat, chatTemplate, output, force, cache }) command.Options.Add(o);
        var bipo = new BipoTraining();
        bipo.AddTo(command);

        command.SetAction((parse, ct) => ErrorReporter.Report(() =>
        {
            var outPath = parse.GetValue(output)!;
            var isBipo = parse.GetValue(method) is "bipo";
            var datasetPath = parse.GetValue(dataset) is { } d ? (isBipo ? BipoTraining.ResolveDataset(d).Train : RepoFiles.Dataset(d)) : null;
            OutputGuard.Check(outPath, "--output", [
                new("--model", common.ModelPath(parse)), new("--dataset", datasetPath),
                new("--prompts", parse.GetValue(prompts)), new("--cache", parse.GetValue(cache))],
                mayReplace: parse.GetValue(force));
            if (parse.GetValue(cache) is { } cachePath)
                OutputGuard.Check(cachePath, "--cache", [new("--model", common.ModelPath(parse)), new("--dataset", datasetPath), new("--prompts", parse.GetValue(prompts))]);
            if (isBipo)
                return Task.FromResult(bipo.Run(parse, common, parse.GetValue(dataset), parse.GetValue(layers), outPath, ct));
            var options = new TrainingOptions
            {
                Method = ExtractionMethodNames.Parse(parse.GetValue(method)!),
                Positions = ParsePositions(parse.GetValue(positions)!),
                Scaling = ParseScaling(parse.GetValue(scaling)!),
                Threads = parse.GetValue(common.Threads),
                CachePath = parse.GetValue(cache),
            };
            var data = LoadDataset(parse.GetValue(dataset), parse.GetValue(instruction), parse.GetValue(prompts));

            using var model = common.LoadModel(parse, ct);
            options = options with { Layers = parse.GetValue(layers) is { } l ? LayerSet.Parse(l, model.LayerCount) : null };
            // Checked before the capture, not when the file is written after it.
            if (options.Layers?.Contains(0) == true)
                throw new ArgumentException($"--layers {options.Layers}: layer 0 cannot be written to a control-vector file (llama.cpp's direction.N steers layer N >= 1); use layers 1-{model.LayerCount - 1}.");
            var tokenized = DatasetTokenizer.Tokenize(model, data, new DatasetTokenizerOptions { Chat = parse.GetValue(chat), ChatTemplate = parse.GetValue(chatTemplate) });
            Console.Error.WriteLine($"{data.Name}: {data.Pairs.Count} pairs, {tokenized.Positives.Sum(p => p.Tokens.Length) + tokenized.Negatives.Sum(p => p.Tokens.Length)} tokens; {options.Method.Name()} on layers {options.Layers ?? LayerSet.Range(1, model.LayerCount - 1)}");

            var report = RunWithProgress(model, tokenized, options, data, ct);
            ControlVectorFile.Write(report.Vector, outPath);
            PrintSummary(report);
            Console.Error.WriteLine(report.FromCache
                ? $"wrote {outPath} (activations from the cache {parse.GetValue(cache)})"
                : $"wrote {outPath} ({report.Tokens} tokens captured at {report.TokensPerSecond:F0} tok/s)");
            return Task.FromResult(ErrorReporter.Ok);
        }));
        return command;
    }

    internal static ContrastiveDataset LoadDataset(string? dataset, string? instruction, string? prompts)
    {
        if (dataset is not null && instruction is not null) throw new ArgumentException("Give either --dataset or --instruction with --prompts, not both.");
        if (dataset is not null) return ContrastiveDataset.Load(RepoFiles.Dataset(dataset));
        if (instruction is null) throw new ArgumentException("Give --dataset FILE, or --instruction TEXT with --prompts FILE.");
        if (prompts is null) throw new ArgumentException("--instruction needs --prompts FILE (base prompts, one per line).");
        return ContrastiveDataset.FromInstruction(instruction, ContrastiveDataset.LoadPromptList(prompts), "instruction");
    }

    internal static TrainingReport RunWithProgress(Models.LlamaModel model, TokenizedDataset tokenized, TrainingOptions options, ContrastiveDataset data, CancellationToken ct)
    {
        var provenance = new VectorProvenance
        {
            DatasetName = data.Name,
            DatasetSha256 = data.Sha256,
            Options = $"positions={options.Positions}, scaling={options.Scaling}, layers={options.Layers?.ToString() ?? "default"}",
            CreatedUtc = DateTime.UtcNow.ToString("O"),
        };
        if (Console.IsErrorRedirected)
            return VectorTrainer.Train(model, tokenized.Positives, tokenized.Negatives, options, provenance, null, ct);
        TrainingReport? report = null;
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }).Progress().Start(p =>
        {
            var task = p.AddTask("capturing activations", maxValue: tokenized.Positives.Count * 2);
            report = VectorTrainer.Train(model, tokenized.Positives, tokenized.Negatives, options, provenance,
                new Progress<CaptureProgress>(c => task.Value = c.SamplesDone), ct);
            task.Value = task.MaxValue;
        });
        return report!;
    }

    internal static void PrintSummary(TrainingReport report)
    {
        Console.Out.WriteLine("layer  norm      pos mean  neg mean  separation (d)");
        foreach (var l in report.Layers)
            Console.Out.WriteLine($"{l.Layer,5}  {System.Numerics.Tensors.TensorPrimitives.Norm(l.Direction),8:F3}  {l.Calibration.PositiveMean,8:F3}  {l.Calibration.NegativeMean,8:F3}  {l.Calibration.Separation,8:F2}");
    }

    internal static CapturePositions ParsePositions(string s) => s.ToLowerInvariant() switch
    {
        "last" => CapturePositions.LastToken,
        "mean" => CapturePositions.CompletionMean,
        "all" => CapturePositions.AllTokens,
        _ => throw new ArgumentException($"Unknown --positions '{s}': use last, mean or all."),
    };

    internal static VectorScaling ParseScaling(string s) => s.ToLowerInvariant() switch
    {
        "separation" => VectorScaling.Separation,
        "unit" => VectorScaling.Unit,
        "raw" => VectorScaling.Raw,
        _ => throw new ArgumentException($"Unknown --scaling '{s}': use separation, unit or raw."),
    };
}
