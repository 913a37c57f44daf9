using System.CommandLine;
using System.Globalization;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Methods.Bipo;
using LlamaSteer.Vectors;

namespace LlamaSteer.Host.Cli;

/// <summary>
/// <c>llamasteer train --method bipo</c>: the options only BiPO takes, and the run. Kept out of <see cref="TrainCommand"/>
/// so the extraction verb's file stays about extraction.
/// </summary>
internal sealed class BipoTraining
{
    public Option<float> Beta { get; } = new("--beta") { Description = "bipo: β of the preference loss", DefaultValueFactory = _ => 0.1f };
    public Option<float> LearningRate { get; } = new("--lr") { Description = "bipo: AdamW peak learning rate", DefaultValueFactory = _ => 5e-4f };
    public Option<int> Epochs { get; } = new("--epochs") { Description = "bipo: passes over the preference pairs", DefaultValueFactory = _ => 20 };
    public Option<int> Batch { get; } = new("--batch") { Description = "bipo: pairs per optimizer step", DefaultValueFactory = _ => 4 };
    public Option<float> WeightDecay { get; } = new("--weight-decay") { Description = "bipo: AdamW weight decay", DefaultValueFactory = _ => 0.05f };
    public Option<int> Warmup { get; } = new("--warmup") { Description = "bipo: warm-up steps before the cosine decay", DefaultValueFactory = _ => 100 };
    public Option<string> Init { get; } = new("--init") { Description = "bipo: zero | mean (the mean difference of the responses' activations)", DefaultValueFactory = _ => "zero" };
    public Option<string?> HeldOut { get; } = new("--held-out") { Description = "bipo: preference JSONL to report the margin on (default for a shipped set: its .heldout.jsonl)" };
    public Option<int> Seed { get; } = new("--seed") { Description = "bipo: seed of shuffling and of the ±v draws", DefaultValueFactory = _ => 1 };
    public Option<string?> Checkpoints { get; } = new("--checkpoints") { Description = "bipo: folder to write the vector after each epoch (epoch-N.gguf)" };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Beta, LearningRate, Epochs, Batch, WeightDecay, Warmup, Init, HeldOut, Seed, Checkpoints }) command.Options.Add(o);
    }

    /// <summary>A shipped set's name (<c>tinystories-happy-sad</c>) → its train file; a path stays as given.</summary>
    public static (string Train, string? HeldOut) ResolveDataset(string nameOrPath)
    {
        if (File.Exists(nameOrPath) || nameOrPath.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) return (nameOrPath, null);
        var folder = Path.Combine(RepoFiles.DatasetFolder, "preferences");
        var train = RepoFiles.Find(Path.Combine(folder, nameOrPath + ".train.jsonl"));
        var held = RepoFiles.Find(Path.Combine(folder, nameOrPath + ".heldout.jsonl"));
        return (train, File.Exists(held) ? held : null);
    }

    public int Run(ParseResult parse, CommonOptions common, string? dataset, string? layers, string outPath, CancellationToken ct)
    {
        if (dataset is null) throw new ArgumentException("--method bipo needs --dataset PREFS.jsonl (lines of {\"prompt\", \"chosen\", \"rejected\"}) or a shipped set's name.");
        if (layers is null) throw new ArgumentException("--method bipo needs --layers (for example --layers 3 or --layers 2-4).");
        var init = parse.GetValue(Init)!.ToLowerInvariant() switch
        {
            "zero" => BipoInit.Zero,
            "mean" => BipoInit.Mean,
            var other => throw new ArgumentException($"Unknown --init '{other}': use zero or mean."),
        };
        var (trainPath, defaultHeldOut) = ResolveDataset(dataset);
        var train = PreferenceDataset.Load(trainPath);
        var heldOutPath = parse.GetValue(HeldOut) ?? defaultHeldOut;
        var heldOut = heldOutPath is null ? null : PreferenceDataset.Load(heldOutPath);
        var checkpoints = parse.GetValue(Checkpoints);

        // The graph builder's refusals (architecture, ops without a backward) come before llama.cpp loads anything.
        CheckArchitecture(common.ModelPath(parse));
        using var model = common.LoadModel(parse, ct);
        using var weights = ModelWeights.Load(common.ModelPath(parse));
        var options = new BipoOptions
        {
            Layers = ParseLayers(layers, model.LayerCount),
            Beta = parse.GetValue(Beta),
            LearningRate = parse.GetValue(LearningRate),
            Epochs = parse.GetValue(Epochs),
            BatchSize = parse.GetValue(Batch),
            WeightDecay = parse.GetValue(WeightDecay),
            WarmupSteps = parse.GetValue(Warmup),
            Init = init,
            Seed = parse.GetValue(Seed),
            Threads = parse.GetValue(common.Threads) ?? 1,
        };
        options.Validate(model.LayerCount);
        Console.Error.WriteLine($"{train.Name}: {train.Pairs.Count} preference pairs{(heldOut is null ? "" : $", {heldOut.Pairs.Count} held out")}; BiPO on layers {string.Join(",", options.Layers)}, β {options.Beta}, lr {options.LearningRate}, {options.Epochs} epochs of batches of {options.BatchSize}");
        if (checkpoints is not null) Directory.CreateDirectory(checkpoints);
        var result = TrainingProgressBar.Run("bipo", progress => BipoTrainer.Train(model, weights, train, heldOut, options, progress, ct,
            checkpoints is null ? null : (epoch, v) => ControlVectorFile.Write(v, Path.Combine(checkpoints, $"epoch-{epoch}.gguf"))));

        ControlVectorFile.Write(result.Vector, outPath);
        var r = result.Report;
        Console.Out.WriteLine($"epoch losses: {string.Join(" ", r.EpochTrainingLoss.Select(l => l.ToString("F4", CultureInfo.InvariantCulture)))}");
        foreach (var layer in result.Vector.Layers) Console.Out.WriteLine($"layer {layer}: |v| = {result.Vector.Norm(layer):F3}");
        if (result.HeldOut is { } m)
            Console.Out.WriteLine($"held-out preference margin (log p chosen - log p rejected, {result.HeldOutPairs} pairs): -v {m.Minus:F3}, unsteered {m.Unsteered:F3}, +v {m.Plus:F3}");
        Console.Error.WriteLine($"wrote {outPath} ({r.Steps} steps, {r.TokensPerSecond:F0} tok/s, compute buffer {r.PeakComputeBytes / 1048576.0:F1} MiB)");
        return ErrorReporter.Ok;
    }

    internal static void CheckArchitecture(string path)
    {
        if (!File.Exists(path)) return; // the model loader says so in its own words
        try
        {
            LlamaHyperparameters.From(Gguf.GgufFile.Read(path));
        }
        catch (Gguf.GgufFormatException)
        {
            // not a GGUF model: the model loader reports it
        }
    }

    private static IReadOnlyList<int> ParseLayers(string text, int layerCount)
    {
        var list = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', 1);
            if (dash > 0 && int.TryParse(part[..dash], out var a) && int.TryParse(part[(dash + 1)..], out var b) && a <= b)
                list.AddRange(Enumerable.Range(a, b - a + 1));
            else if (int.TryParse(part, out var single)) list.Add(single);
            else throw new ArgumentException($"--layers '{text}' is not a list of layers or ranges (1-4,6).");
        }
        foreach (var l in list)
        {
            if (l == 0) throw new ArgumentException("layer 0 cannot be held by a control-vector file (llama.cpp's direction.N starts at 1); choose layers from 1.");
            if (l < 0 || l >= layerCount) throw new ArgumentException($"layer {l} is outside the model's layers 1..{layerCount - 1}.");
        }
        return list.Distinct().Order().ToList();
    }
}
