using System.CommandLine;
using LlamaSteer.Datasets;
using LlamaSteer.Models;
using LlamaSteer.Prompts;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Methods.Tokens;

namespace LlamaSteer.Host.Cli;

/// <summary>
/// <c>llamasteer tokens train|compose</c>: learn steering tokens (input embeddings) by self-distillation from an
/// instruction, and a composition token that joins behaviour tokens. Tokens are added to the -o file (created when
/// missing); a name already in it, or a file of another model, is refused and nothing is written.
/// </summary>
internal static class TokensCommand
{
    private const string DefaultPrompts = "vectors/datasets/tokens/tinystories-prompts.txt";

    public static Command Create()
    {
        var command = new Command("tokens", "Steering tokens: behaviours distilled into input embeddings, and a composition token");
        command.Subcommands.Add(Train());
        command.Subcommands.Add(Compose());
        command.Subcommands.Add(Kl());
        return command;
    }

    private sealed class Shared
    {
        public CommonOptions Common { get; } = new();
        public Option<string> Name { get; } = new("--name") { Description = "The token's name (letters, digits, '-', '_')", Required = true };
        public Option<string?> Prompts { get; } = new("--prompts") { Description = $"Base prompts, one a line; every 4th is held out (default {DefaultPrompts})" };
        public Option<int> Samples { get; } = new("--samples") { Description = "Teacher continuations per base prompt", DefaultValueFactory = _ => 4 };
        public Option<int> MaxTokens { get; } = new("--max-tokens", "-n") { Description = "Tokens per teacher continuation", DefaultValueFactory = _ => 24 };
        public Option<int> Epochs { get; } = new("--epochs") { Description = "Passes over the samples", DefaultValueFactory = _ => 4 };
        public Option<float> LearningRate { get; } = new("--lr") { Description = "AdamW learning rate", DefaultValueFactory = _ => 1e-2f };
        public Option<int> Seed { get; } = new("--seed") { Description = "Seed of the teacher samples and the shuffling", DefaultValueFactory = _ => 1 };
        public Option<string> Output { get; } = new("--output", "-o") { Description = "Token file to add the token to (created when missing)", Required = true };

        public void AddTo(Command command)
        {
            Common.AddTo(command);
            foreach (var o in new Option[] { Name, Prompts, Samples, MaxTokens, Epochs, LearningRate, Seed, Output }) command.Options.Add(o);
        }

        public TokenTrainingOptions Options(ParseResult parse) => new TokenTrainingOptions
        {
            Samples = parse.GetValue(Samples),
            MaxTokens = parse.GetValue(MaxTokens),
            Epochs = parse.GetValue(Epochs),
            LearningRate = parse.GetValue(LearningRate),
            Seed = parse.GetValue(Seed),
            Threads = parse.GetValue(Common.Threads) ?? 1,
        }.Validate();

        public IReadOnlyList<string> LoadPrompts(ParseResult parse) =>
            ContrastiveDataset.LoadPromptList(parse.GetValue(Prompts) ?? RepoFiles.Find(DefaultPrompts));

        /// <summary>The output file as it is now (for this model), or a new empty one; refuses a name it already holds.</summary>
        public SteeringTokenFile Existing(string path, string name, string fingerprint, int width)
        {
            if (!File.Exists(path)) return new SteeringTokenFile(fingerprint, width, []);
            var file = SteeringTokenFile.Load(path).CheckModel(path, fingerprint, width);
            if (file.Tokens.Any(t => t.Name == name)) throw new ArgumentException($"the token name '{name}' repeats: {path} already has it; choose another --name or another -o.");
            return file;
        }

        public void Report(string path, TokenTrainingResult result)
        {
            Console.Out.WriteLine($"{result.Token.Name}: held-out KL to the teacher {result.HeldOutKlBefore:F4} -> {result.HeldOutKlAfter:F4} nats/token " +
                $"({result.TrainExamples} training and {result.HeldOutExamples} held-out continuations; kept epoch {result.Report.KeptEpoch})");
            Console.Error.WriteLine($"wrote {path}; use it with generate --token {path}:{result.Token.Name}");
        }
    }

    private static Command Train()
    {
        var shared = new Shared();
        var instruction = new Option<string>("--instruction") { Description = "The instruction the token stands for (\"Write a happy story.\")", Required = true };
        var command = new Command("train", "Distil an instruction into one steering token (the model with the token in front of a prompt behaves as with the instruction there)");
        shared.AddTo(command);
        command.Options.Add(instruction);
        command.SetAction((parse, ct) => ErrorReporter.Report(() =>
        {
            var name = parse.GetValue(shared.Name)!;
            SteeringTokenFile.CheckName(name);
            var text = parse.GetValue(instruction)!;
            if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("the instruction is empty.");
            var options = shared.Options(parse);
            var prompts = shared.LoadPrompts(parse);
            var output = parse.GetValue(shared.Output)!;
            var modelPath = shared.Common.ModelPath(parse);
            BipoTraining.CheckArchitecture(modelPath);
            using var model = shared.Common.LoadModel(parse, ct);
            var existing = shared.Existing(output, name, SteeringTokenFile.Fingerprint(modelPath), model.EmbeddingSize);
            using var weights = ModelWeights.Load(modelPath);
            var result = TrainingProgressBar.Run($"token {name}", p => TokenTrainer.TrainBehaviour(model, weights, name, text, prompts, options, p, ct));
            existing.With(result.Token).Save(output);
            shared.Report(output, result);
            return Task.FromResult(ErrorReporter.Ok);
        }));
        return command;
    }

    private static Command Compose()
    {
        var shared = new Shared();
        var tokens = new Option<string>("--tokens") { Description = "Token file holding the behaviour tokens (usually the same as -o)", Required = true };
        var pairs = new Option<string>("--pairs") { Description = "Pairs to train on, A+B comma-separated (happy+dog,dog+tim)", Required = true };
        var command = new Command("compose", "Train a composition token on pairs of behaviour tokens (frozen): a ∧ b against both instructions");
        shared.AddTo(command);
        command.Options.Add(tokens);
        command.Options.Add(pairs);
        command.SetAction((parse, ct) => ErrorReporter.Report(() =>
        {
            var name = parse.GetValue(shared.Name)!;
            SteeringTokenFile.CheckName(name);
            var pairList = ParsePairs(parse.GetValue(pairs)!);
            var options = shared.Options(parse);
            var prompts = shared.LoadPrompts(parse);
            var output = parse.GetValue(shared.Output)!;
            var source = parse.GetValue(tokens)!;
            var modelPath = shared.Common.ModelPath(parse);
            BipoTraining.CheckArchitecture(modelPath);
            using var model = shared.Common.LoadModel(parse, ct);
            var fingerprint = SteeringTokenFile.Fingerprint(modelPath);
            var behaviours = SteeringTokenFile.Load(source).CheckModel(source, fingerprint, model.EmbeddingSize);
            foreach (var (a, b) in pairList)
            {
                behaviours.Get(a, source);
                behaviours.Get(b, source);
            }
            var existing = shared.Existing(output, name, fingerprint, model.EmbeddingSize);
            using var weights = ModelWeights.Load(modelPath);
            var result = TrainingProgressBar.Run($"token {name}", p => TokenTrainer.TrainComposition(model, weights, name, behaviours.Tokens, pairList, prompts, options, p, ct));
            existing.With(result.Token).Save(output);
            shared.Report(output, result);
            return Task.FromResult(ErrorReporter.Ok);
        }));
        return command;
    }

    private static Command Kl()
    {
        var common = new CommonOptions();
        var tokens = new Option<string>("--tokens") { Description = "Token file", Required = true };
        var sets = new Option<string[]>("--set") { Description = "Behaviours measured together, A+B+C (repeatable)", Required = true };
        var prompts = new Option<string?>("--prompts") { Description = $"Base prompts; the held-out ones (every 4th) are measured (default {DefaultPrompts})" };
        var samples = new Option<int>("--samples") { Description = "Teacher continuations per held-out prompt", DefaultValueFactory = _ => 8 };
        var maxTokens = new Option<int>("--max-tokens", "-n") { Description = "Tokens per teacher continuation", DefaultValueFactory = _ => 24 };
        var seed = new Option<uint>("--seed") { Description = "Seed of the teacher samples", DefaultValueFactory = _ => 7 };
        var command = new Command("kl", "KL to the instruction teacher on held-out prompts: no token, the tokens side by side, and joined by the composition token");
        common.AddTo(command);
        foreach (var o in new Option[] { tokens, sets, prompts, samples, maxTokens, seed }) command.Options.Add(o);
        command.SetAction((parse, ct) => ErrorReporter.Report(() =>
        {
            var setList = (parse.GetValue(sets) ?? []).Select(s => s.Split('+', StringSplitOptions.TrimEntries)).ToList();
            if (setList.Any(s => s.Any(n => n.Length == 0) || s.Distinct().Count() != s.Length))
                throw new ArgumentException("--set must name different tokens joined by '+' (happy+dog).");
            var promptList = ContrastiveDataset.LoadPromptList(parse.GetValue(prompts) ?? RepoFiles.Find(DefaultPrompts));
            var heldOut = TokenTrainer.Split(promptList, new TokenTrainingOptions().HoldOutEvery).HeldOut;
            var sampling = new DistillationSampling(parse.GetValue(samples), parse.GetValue(maxTokens), parse.GetValue(seed), parse.GetValue(common.Threads) ?? 1);
            if (sampling.Samples < 1 || sampling.MaxTokens < 1) throw new ArgumentException("--samples and --max-tokens must be at least 1.");
            var path = parse.GetValue(tokens)!;
            var modelPath = common.ModelPath(parse);
            BipoTraining.CheckArchitecture(modelPath);
            using var model = common.LoadModel(parse, ct);
            var file = SteeringTokenFile.Load(path).CheckModel(path, SteeringTokenFile.Fingerprint(modelPath), model.EmbeddingSize);
            var glue = file.Tokens.FirstOrDefault(t => t.IsComposition);
            using var weights = ModelWeights.Load(modelPath);
            var rows = file.Tokens.ToDictionary(t => t.Name, t => t.Row);
            Console.Out.WriteLine($"KL(teacher || student) in nats/token on {heldOut.Count} held-out prompts x {sampling.Samples} teacher samples of {sampling.MaxTokens} tokens");
            Console.Out.WriteLine($"{"set",-24} {"no token",9} {"tokens",9} {(glue is null ? "" : $"{"with " + glue.Name,12}")}");
            foreach (var set in setList)
            {
                var instructions = set.Select(n => file.Get(n, path)).Select(t => t.Instruction ?? throw new ArgumentException($"'{t.Name}' has no instruction (a composition token)."));
                double Kl(IReadOnlyList<string> slots) => TokenTrainer.MeanKl(weights,
                    DistillationData.Build(model, weights, [new DistillationTask([.. instructions], slots)], heldOut, sampling, ct), rows, sampling.Threads ?? 1);
                var joined = glue is null ? null : (double?)Kl([.. set.SelectMany((n, i) => i == 0 ? [n] : new[] { glue.Name, n })]);
                Console.Out.WriteLine($"{string.Join("+", set),-24} {Kl([]),9:F4} {Kl(set),9:F4} {(joined is { } j ? $"{j,12:F4}" : "")}");
            }
            return Task.FromResult(ErrorReporter.Ok);
        }));
        return command;
    }

    private static IReadOnlyList<(string, string)> ParsePairs(string text)
    {
        var result = new List<(string, string)>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var names = part.Split('+', StringSplitOptions.TrimEntries);
            if (names.Length != 2 || names.Any(n => n.Length == 0) || names[0] == names[1])
                throw new ArgumentException($"--pairs: '{part}' must be two different token names joined by '+' (happy+dog).");
            result.Add((names[0], names[1]));
        }
        return result.Count > 0 ? result : throw new ArgumentException("--pairs is empty.");
    }
}
