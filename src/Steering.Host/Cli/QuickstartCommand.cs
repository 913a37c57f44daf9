using LlamaSteer.Cli.Outputs;
using System.CommandLine;
using System.Globalization;
using LlamaSteer.Datasets;
using LlamaSteer.Evaluation;
using LlamaSteer.Generation;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.Host.Cli;

/// <summary>
/// <c>llamasteer quickstart</c>: the whole loop on the default model: train a vector from a shipped
/// dataset, write it, measure its effect across strengths, and show steered generations beside
/// unsteered ones.
/// </summary>
internal static class QuickstartCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var dataset = new Option<string>("--dataset", "-d") { Description = "Shipped dataset name or JSONL path", DefaultValueFactory = _ => "tinystories-happy-sad" };
        var layers = new Option<string?>("--layers") { Description = "Layers to train and steer (default: 1 to the last layer)" };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write the vector (default artifacts/quickstart/DATASET.gguf)" };
        var tokens = new Option<int>("--max-tokens", "-n") { Description = "Tokens per generated example", DefaultValueFactory = _ => 40 };
        var command = new Command("quickstart", "Train a vector from a shipped dataset, write it, and show its measured effect and steered generations");
        common.AddTo(command);
        foreach (var o in new Option[] { dataset, layers, output, tokens }) command.Options.Add(o);

        command.SetAction((parse, ct) => ErrorReporter.Report(() =>
        {
            var name = parse.GetValue(dataset)!;
            var path = RepoFiles.Dataset(name);
            var data = ContrastiveDataset.Load(path);
            var probes = ProbeCatalog.Load(RepoFiles.Find(Path.Combine(RepoFiles.DatasetFolder, "probes.json")));
            if (!probes.TryGetValue(data.Name, out var probe))
                throw new ArgumentException($"{RepoFiles.DatasetFolder}/probes.json has no probe for '{data.Name}'; add one to measure its effect.");
            var outPath = parse.GetValue(output) ?? Path.Combine("artifacts", "quickstart", data.Name + ".gguf");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
            OutputGuard.Check(outPath, "--output", [new("--model", common.ModelPath(parse)), new("--dataset", path)]);

            using var model = common.LoadModel(parse, ct);
            var layerSet = parse.GetValue(layers) is { } l ? LayerSet.Parse(l, model.LayerCount) : LayerSet.Range(1, model.LayerCount - 1);
            var options = new TrainingOptions { Layers = layerSet, Threads = parse.GetValue(common.Threads) };
            var tokenized = DatasetTokenizer.Tokenize(model, data);
            var o = Console.Out;
            o.WriteLine($"LlamaSteer quickstart on {Path.GetFileName(model.Info.Path)} ({model.Info.ParameterCount:N0} parameters, {model.LayerCount} layers, n_embd {model.EmbeddingSize})");
            o.WriteLine($"1. Train: {data.Pairs.Count} pairs from {Path.GetFileName(path)}, mean difference of last-token activations, layers {layerSet}");
            var report = TrainCommand.RunWithProgress(model, tokenized, options, data, ct);
            TrainCommand.PrintSummary(report);

            ControlVectorFile.Write(report.Vector, outPath);
            o.WriteLine($"2. Wrote {outPath} (llama.cpp: --control-vector-scaled {outPath} 1.0 --control-vector-layer-range {layerSet.First} {layerSet.Last})");

            var probeTokens = ProbeTokens.Resolve(model, probe.Positive, probe.Negative);
            float[] strengths = [-2f, -1f, -0.5f, 0f, 0.5f, 1f, 2f];
            var effect = ConceptEffect.Sweep(model, report.Vector, layerSet, probe.Prompts, probeTokens, strengths, options.Threads, ct);
            o.WriteLine($"3. Effect on {probe.Prompts.Count} held-out prompts: mean log p(\"{probe.Positive.Trim()}\") - log p(\"{probe.Negative.Trim()}\") of the next token");
            o.WriteLine("   strength  " + string.Join("  ", strengths.Select(s => s.ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture).PadLeft(6))));
            o.WriteLine("   log-odds  " + string.Join("  ", effect.Select(e => e.MeanLogProbDifference.ToString("+0.00;-0.00", CultureInfo.InvariantCulture).PadLeft(6))));
            if (!probe.Steers)
                o.WriteLine($"   note: {data.Name} is recorded as '{probe.Quality}' on stories260K (vectors/README.md): expect a small or no effect.");

            o.WriteLine("4. Greedy generations, unsteered and steered:");
            using var ctx = model.CreateContext(common.ContextOptions(parse));
            var generator = new TextGenerator(ctx);
            foreach (var prompt in probe.Prompts.Take(2))
            {
                o.WriteLine($"   prompt: {prompt}");
                foreach (var s in new[] { -1f, 0f, 1f })
                {
                    var gen = generator.Generate(prompt, new GenerationOptions
                    {
                        MaxTokens = parse.GetValue(tokens),
                        Sampling = SamplingOptions.Greedy,
                        Vectors = s == 0 ? [] : [new VectorTerm(report.Vector, s, layerSet, data.Name)],
                    }, ct);
                    var label = s == 0 ? "unsteered" : $"strength {s:+0;-0}";
                    o.WriteLine($"   {label,-11} |{gen.Text.ReplaceLineEndings(" ")}");
                }
            }
            o.WriteLine($"Next: llamasteer generate --prompt \"{probe.Prompts[0]}\" --vector {outPath}:1.0 --temperature 0");
            return Task.FromResult(ErrorReporter.Ok);
        }));
        return command;
    }
}
