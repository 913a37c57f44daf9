using LlamaSteer.Cli.Outputs;
using LlamaSteer.Files;
using LlamaSteer.Limits;
using System.CommandLine;
using System.Globalization;
using LlamaSteer.Chat;
using LlamaSteer.Datasets;
using LlamaSteer.Evaluation;
using LlamaSteer.Evaluation.Checkers;
using LlamaSteer.Host.Reports;
using LlamaSteer.Models;
using LlamaSteer.Prompts;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;
using LlamaSteer.Steering.Contextual;
using LlamaSteer.Vectors;
using LlamaSteer.Vectors.Extraction;

namespace LlamaSteer.Host.Cli;

/// <summary>
/// <c>llamasteer eval</c>: sweep a vector (or the vectors several methods train from a dataset) over
/// layers x strengths on a prompt set, measure effect and fluency cost per cell, print a summary table
/// and a recommendation, and write report.json and report.html.
/// </summary>
internal static class EvalCommand
{
    internal const string DefaultNeutral = "vectors/datasets/neutral/tinystories-neutral.txt";

    public static Command Create()
    {
        var common = new CommonOptions();
        var vector = new Option<string?>("--vector") { Description = "Control-vector file to evaluate" };
        var dataset = new Option<string?>("--dataset", "-d") { Description = "Or train from this dataset (shipped name or JSONL path), one vector per --methods" };
        var methods = new Option<string>("--methods") { Description = "Extraction methods to compare with --dataset (mean, mean-centred, pca-diff, pca-center, probe)", DefaultValueFactory = _ => "mean" };
        var clas = new Option<bool>("--clas") { Description = "Also sweep the --vector with its CLAS parameters (NAME.clas.gguf beside it; fit them with llamasteer clas): fixed strength and CLAS side by side" };
        var adjust = new Option<bool>("--adjust-to-target") { Description = "Also sweep each vector by adjust-to-target (each token's projection set to the positives' mean projection stored at training, Stolfo et al.): fixed strengths and the paper's rule side by side" };
        var layers = new Option<string?>("--layers") { Description = "Layers to sweep, each alone (e.g. 2,3 or 1-4; default: every layer of the vector)" };
        var layerSets = new Option<string[]>("--layer-set") { Description = "A group of layers steered together as one row (repeatable, e.g. --layer-set 1-4)" };
        var strengths = new Option<string>("--strengths") { Description = "Strengths to sweep, comma-separated", DefaultValueFactory = _ => "-2,-1,0,1,2" };
        var prompts = new Option<string?>("--prompts") { Description = "Prompt file, one per line (default: the probe's held-out prompts in probes.json)" };
        var prompt = new Option<string[]>("--prompt", "-p") { Description = "A prompt (repeatable)" };
        var probe = new Option<string?>("--probe") { Description = "Probe by dataset name in probes.json (default: the dataset's, or the vector's recorded dataset)" };
        var positive = new Option<string?>("--positive") { Description = "Probe word for the positive side (with --negative)" };
        var negative = new Option<string?>("--negative") { Description = "Probe word for the negative side (with --positive)" };
        var keywords = new Option<string?>("--keywords") { Description = "Comma-separated words marking the concept in generations (case-insensitive)" };
        var checks = new Option<string[]>("--check") { Description = $"IFEval-style check on each generation (repeatable): {TextChecks.Known}" };
        var neutral = new Option<string?>("--neutral") { Description = $"Neutral text for the fluency cost (default {DefaultNeutral})" };
        var maxTokens = new Option<int>("--max-tokens", "-n") { Description = "Tokens per generation", DefaultValueFactory = _ => 32 };
        var samples = new Option<int>("--samples") { Description = $"Generations per prompt and setting (at most {ResourceLimits.MaxSamplesPerPrompt:N0}; at most {ResourceLimits.MaxEvaluationGenerations:N0} generations in all)", DefaultValueFactory = _ => 2 };
        var temperature = new Option<float>("--temperature", "--temp") { Description = "Sampling temperature for the generations; 0 = greedy", DefaultValueFactory = _ => 0.8f };
        var seed = new Option<uint>("--seed", "-s") { Description = "First seed (sample k of prompt p uses seed + p * samples + k in every setting)", DefaultValueFactory = _ => 1 };
        var chat = new Option<bool>("--chat") { Description = "Treat prompts as user messages and apply the chat template" };
        var chatTemplate = new Option<string?>("--chat-template") { Description = "Built-in chat template name when the model has none" };
        var maxPpl = new Option<double>("--max-ppl-ratio") { Description = "Recommend only settings whose neutral-text perplexity is at most this times the unsteered one", DefaultValueFactory = _ => 1.5 };
        var output = new Option<string?>("--output", "-o") { Description = "Write the report as OUT.json and OUT.html" };
        var tokens = new TokenOptions();
        var instructions = new Option<string[]>("--instruction") { Description = "Instruction put in front of every prompt, measured as one row beside the vector and tokens (repeatable: together, in order)" };

        var instructionSet = new InstructionEval();
        var command = new Command("eval", "Sweep a vector over layers and strengths: effect, concept rate, fluency cost and checks per setting, and a recommended setting");
        common.AddTo(command);
        instructionSet.AddTo(command);
        foreach (var o in new Option[] { vector, dataset, methods, clas, adjust, layers, layerSets, strengths, prompts, prompt, probe, positive, negative, keywords, checks, neutral, maxTokens, samples, temperature, seed, chat, chatTemplate, maxPpl, output })
            command.Options.Add(o);
        tokens.AddTo(command);
        command.Options.Add(instructions);

        command.SetAction((parse, ct) => ErrorReporter.Report(() =>
        {
            if (parse.GetValue(instructionSet.InstructionSet) is not null)
            {
                if (parse.GetValue(vector) is not null || parse.GetValue(dataset) is not null)
                    throw new ArgumentException("--instruction-set trains its own instruction vectors: drop --vector and --dataset.");
                return Task.FromResult(instructionSet.Run(parse, common, new InstructionEval.Shared(
                    parse.GetResult(strengths) is { Implicit: false } ? parse.GetValue(strengths) : null, parse.GetValue(layers), parse.GetValue(maxTokens), parse.GetValue(samples),
                    parse.GetValue(temperature), parse.GetValue(seed), parse.GetValue(chat), parse.GetValue(chatTemplate), parse.GetValue(maxPpl), parse.GetValue(neutral), parse.GetValue(output),
                    new Option[] { methods, clas, adjust, layerSets, prompts, prompt, probe, positive, negative, keywords, checks, tokens.Tokens, tokens.Compose, instructions }.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToArray()), ct));
            }
            // Everything that needs no model is checked first.
            var strengthList = ParseStrengths(parse.GetValue(strengths)!);
            var checkList = (parse.GetValue(checks) ?? []).Select(TextChecks.Parse).ToArray();
            var keywordList = SplitList(parse.GetValue(keywords));
            var vectorPath = parse.GetValue(vector);
            var datasetName = parse.GetValue(dataset);
            var instructionList = parse.GetValue(instructions) ?? [];
            if (instructionList.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("--instruction is empty.");
            var promptSide = tokens.Any(parse) || instructionList.Length > 0;
            if (vectorPath is not null && datasetName is not null) throw new ArgumentException("Give either --vector FILE or --dataset NAME to train from, not both.");
            if (vectorPath is null && datasetName is null && !promptSide)
                throw new ArgumentException("Give either --vector FILE or --dataset NAME to train from (or --token FILE:NAME / --instruction TEXT to measure prompt-side steering).");
            string? clasPath = null;
            if (parse.GetValue(clas))
            {
                if (vectorPath is null)
                    throw new ArgumentException("--clas needs --vector FILE: CLAS parameters are fitted for one vector file (llamasteer clas --vector FILE) and saved beside it.");
                clasPath = ClasParameters.PathBeside(vectorPath);
                // Before the model loads; ClasParameters.Load checks the rest once the vector is read.
                if (!File.Exists(clasPath))
                    throw new LlamaSteer.Errors.LlamaSteerException($"--clas: {clasPath} does not exist; fit it first with llamasteer clas --vector {vectorPath} --wanted FILE --unwanted FILE.");
            }
            var methodList = SplitList(parse.GetValue(methods)).Select(ExtractionMethodNames.Parse).Distinct().ToArray();
            if (methodList.Length == 0) throw new ArgumentException("--methods names no method.");
            if ((parse.GetValue(positive) is null) != (parse.GetValue(negative) is null)) throw new ArgumentException("--positive and --negative go together.");
            var sampling = new SamplingOptions { Temperature = parse.GetValue(temperature) }.Validate();
            var data = datasetName is null ? null : ContrastiveDataset.Load(RepoFiles.Dataset(datasetName));
            var catalogue = ProbeCatalog.Load(RepoFiles.Find(Path.Combine(RepoFiles.DatasetFolder, "probes.json")));
            var neutralPath = parse.GetValue(neutral) ?? RepoFiles.Find(DefaultNeutral);
            if (!File.Exists(neutralPath)) throw new LlamaSteer.Errors.LlamaSteerException($"{neutralPath}: no such neutral text file.");
            var neutralText = File.ReadAllText(neutralPath);
            if (parse.GetValue(prompts) is { } pf && !File.Exists(pf)) throw new LlamaSteer.Errors.LlamaSteerException($"{pf}: no such prompt file.");
            // The outputs are checked before the sweep, not after it.
            if (parse.GetValue(output) is { } target)
            {
                var folder = Path.GetDirectoryName(Path.GetFullPath(target));
                if (folder is not null) Directory.CreateDirectory(folder);
                foreach (var reportFile in new[] { target + ".json", target + ".html" })
                    OutputGuard.Check(reportFile, "--output", [
                        new("--model", common.ModelPath(parse)), new("--vector", vectorPath), new("--clas", clasPath), new("--prompts", parse.GetValue(prompts)),
                        new("--neutral", neutralPath), new("--dataset", datasetName is null ? null : RepoFiles.Dataset(datasetName))]);
            }
            ResourceLimits.CheckGenerations(1, 1, parse.GetValue(samples));

            using var model = common.LoadModel(parse, ct);
            var threads = parse.GetValue(common.Threads);
            SteeringVector? fileVector = vectorPath is null ? null : ControlVectorFile.Read(vectorPath, model.EmbeddingSize);
            var rows = new List<LayerSet>();
            if (parse.GetValue(layers) is { } l) rows.AddRange(LayerSet.Parse(l, model.LayerCount).Layers.Select(x => LayerSet.Of([x])));
            rows.AddRange((parse.GetValue(layerSets) ?? []).Select(s => LayerSet.Parse(s, model.LayerCount)));
            if (rows.Count == 0 && (vectorPath is not null || datasetName is not null))
                rows.AddRange((fileVector?.Layers ?? Enumerable.Range(1, model.LayerCount - 1)).Where(x => x < model.LayerCount).Select(x => LayerSet.Of([x])));

            // The probe: explicit words, a named probe, the dataset's, or the one the vector was trained for.
            var probeName = parse.GetValue(probe) ?? data?.Name ?? fileVector?.Provenance.DatasetName;
            ConceptProbe? concept = null;
            if (parse.GetValue(probe) is { } named && !catalogue.TryGetValue(named, out concept))
                throw new ArgumentException($"probes.json has no probe '{named}'; known: {string.Join(", ", catalogue.Keys)}.");
            concept ??= probeName is not null && catalogue.TryGetValue(probeName, out var c) ? c : null;
            ProbeTokens? probeTokens = parse.GetValue(positive) is { } pos
                ? ProbeTokens.Resolve(model, pos, parse.GetValue(negative)!)
                : concept is not null ? ProbeTokens.Resolve(model, concept.Positive, concept.Negative) : null;

            var promptList = new List<string>(parse.GetValue(prompt) ?? []);
            if (parse.GetValue(prompts) is { } file) promptList.AddRange(ContrastiveDataset.LoadPromptList(file));
            else if (promptList.Count == 0 && concept is not null) promptList.AddRange(concept.Prompts);
            if (promptList.Count == 0) throw new ArgumentException("The prompt set is empty: give --prompts FILE or --prompt TEXT (or a probe from probes.json, whose prompts are the default).");
            if (parse.GetValue(chat))
                promptList = promptList.Select(p => ChatFormatter.Format(model, [new ChatMessage("user", p)], parse.GetValue(chatTemplate))).ToList();

            var prefixes = new List<SweepPrefix>();
            if (tokens.Any(parse))
            {
                var plain = tokens.Load(parse, model, compose: false);
                prefixes.Add(new SweepPrefix(string.Concat(plain), plain));
                if (parse.GetValue(tokens.Compose) && tokens.Load(parse, model) is var composed) prefixes.Add(new SweepPrefix(string.Concat(composed), composed));
            }
            if (instructionList.Length > 0) prefixes.Add(new SweepPrefix($"\"{string.Join(" ", instructionList)}\"", [.. instructionList.Select(i => new TextPiece(i))]));

            var settings = new SweepSettings
            {
                Candidates = [],
                Prefixes = prefixes,
                LayerRows = rows,
                Strengths = strengthList,
                Prompts = promptList,
                Probe = probeTokens,
                Keywords = keywordList,
                Checks = checkList,
                NeutralText = neutralText,
                MaxTokens = parse.GetValue(maxTokens),
                Samples = parse.GetValue(samples),
                Sampling = sampling,
                Seed = parse.GetValue(seed),
                ParseSpecialTokens = parse.GetValue(chat),
                MaxPerplexityRatio = parse.GetValue(maxPpl),
                Threads = threads,
            };
            // Check everything before training: a dataset's vectors will have every swept layer.
            if (fileVector is null && data is null) settings.Validate(model.EmbeddingSize, model.LayerCount);
            else
            {
                var standIn = fileVector ?? new SteeringVector(model.EmbeddingSize, rows.SelectMany(r => r.Layers).Distinct().ToDictionary(x => x, _ => new float[model.EmbeddingSize]));
                (settings with { Candidates = [new SweepCandidate("vector", standIn)] }).Validate(model.EmbeddingSize, model.LayerCount);
            }

            // Before any training: a prompt the context cannot hold fails now, not after the vectors are made.
            SteeringSweep.CheckPromptsFit(model, promptList.Select(p => model.Tokenize(p, addSpecial: true, parseSpecial: parse.GetValue(chat)).Length), parse.GetValue(maxTokens));
            var candidateCount = fileVector is not null ? (clasPath is null ? 1 : 2) : methodList.Length;
            ResourceLimits.CheckGenerations(1 + (long)candidateCount * rows.Count * strengthList.Length, promptList.Count, parse.GetValue(samples));
            IReadOnlyList<SweepCandidate> candidates = fileVector is not null
                ? FileCandidates(Path.GetFileName(vectorPath)!, fileVector, clasPath, rows)
                : data is not null ? Train(model, data, methodList, rows, threads, ct) : [];
            if (parse.GetValue(adjust)) candidates = AdjustToTargetCandidates.Add(candidates, rows);
            settings = settings with { Candidates = candidates };

            var err = Console.Error;
            err.WriteLine($"llamasteer eval: {string.Join(", ", candidates.Select(x => x.Name).Concat(prefixes.Select(x => x.Name)))} on {Path.GetFileName(model.Info.Path)}: " +
                          $"{rows.Count} layer row(s) x {strengthList.Length} strength(s) x {candidates.Count} vector(s), {prefixes.Count} prompt-side row(s), {promptList.Count} prompt(s)");
            if (probeTokens is null) err.WriteLine("no probe: the log-odds shift is not measured (give --positive/--negative or --probe)");
            var report = SteeringSweep.Run(model, settings, new ConsoleProgress(err), ct);

            Console.Out.Write(EvalTable.Render(report));
            if (parse.GetValue(output) is { } o)
            {
                AtomicFile.WriteAllTexts([(o + ".json", EvalJson.Serialize(report)), (o + ".html", EvalHtml.Render(report))], ct);
                err.WriteLine($"wrote {o}.json and {o}.html");
            }
            return Task.FromResult(ErrorReporter.Ok);
        }));
        return command;
    }

    /// <summary>The vector file at a fixed strength, and with <paramref name="clasPath"/> also the same vector under its CLAS parameters (checked to belong to it and to cover every swept layer).</summary>
    private static IReadOnlyList<SweepCandidate> FileCandidates(string name, SteeringVector vector, string? clasPath, IReadOnlyList<LayerSet> rows)
    {
        var fixedStrength = new SweepCandidate(name, vector);
        if (clasPath is null) return [fixedStrength];
        var clas = ClasParameters.Load(clasPath, vector, LayerSet.Of(rows.SelectMany(r => r.Layers)));
        return [fixedStrength with { Name = name + " (fixed)" }, new SweepCandidate(name + " (CLAS)", vector, clas.Strength)];
    }

    private static IReadOnlyList<SweepCandidate> Train(LlamaModel model, ContrastiveDataset data, IReadOnlyList<ExtractionMethod> methods, IReadOnlyList<LayerSet> rows, int? threads, CancellationToken ct)
    {
        var layers = LayerSet.Of(rows.SelectMany(r => r.Layers));
        var tokenized = DatasetTokenizer.Tokenize(model, data);
        return methods.Select(m =>
        {
            Console.Error.WriteLine($"training {m.Name()} on layers {layers} from {data.Name} ({data.Pairs.Count} pairs)");
            var options = new TrainingOptions { Method = m, Layers = layers, Threads = threads };
            return new SweepCandidate(m.Name(), TrainCommand.RunWithProgress(model, tokenized, options, data, ct).Vector);
        }).ToArray();
    }

    /// <summary>Writes each stage as it starts (Progress&lt;T&gt; would post to the thread pool and could reorder lines).</summary>
    private sealed class ConsoleProgress(TextWriter writer) : IProgress<string>
    {
        public void Report(string value) => writer.WriteLine("  " + value);
    }

    internal static float[] ParseStrengths(string text)
    {
        var parts = SplitList(text);
        if (parts.Count == 0) throw new ArgumentException("--strengths names no strength.");
        return parts.Select(p =>
        {
            if (!float.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                throw new ArgumentException($"--strengths: '{p}' is not a number.");
            if (!float.IsFinite(v)) throw new ArgumentException($"--strengths: '{p}' is not a finite number.");
            return v;
        }).Distinct().ToArray();
    }

    private static IReadOnlyList<string> SplitList(string? text) =>
        text is null ? [] : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
