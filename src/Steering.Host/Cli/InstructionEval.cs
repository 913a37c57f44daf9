using System.CommandLine;
using LlamaSteer.Chat;
using LlamaSteer.Datasets;
using LlamaSteer.Evaluation.Instructions;
using LlamaSteer.Host.Reports;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;

namespace LlamaSteer.Host.Cli;

/// <summary>
/// <c>eval --instruction-set NAME|FILE [--compose-instructions a,b]</c>: the paper's instruction-steering procedure
/// (<see cref="InstructionSearch"/>, <see cref="InstructionComposition"/>) from the command line.
/// </summary>
internal sealed class InstructionEval
{
    public const string SetFolder = "vectors/datasets/instruction-sets";

    public Option<string?> InstructionSet { get; } = new("--instruction-set")
    {
        Description = $"Instruction steering as its paper does it: a set (shipped name, e.g. tinystories, or a JSON file; see {SetFolder}): per instruction, vector from the train prompts, layer picked by its checker on the validation prompts, reported on the test prompts",
    };

    public Option<string[]> Compose { get; } = new("--compose-instructions")
    {
        Description = "With --instruction-set: instructions to steer together, comma-separated (repeatable): joint pass rate, plain and orthogonalised, against each alone and against the instructions in the prompt",
    };

    public Option<bool> NoAdjustToTarget { get; } = new("--no-adjust-to-target")
    {
        Description = "With --instruction-set: sweep only the --strengths, not the paper's adjust-to-target rule",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(InstructionSet);
        command.Options.Add(Compose);
        command.Options.Add(NoAdjustToTarget);
    }

    /// <summary>The values of eval's shared options that the procedure uses.</summary>
    /// <param name="Unused">Eval options given that the procedure does not use (its prompts, checkers and vectors come from the set): refused.</param>
    public sealed record Shared(string? Strengths, string? Layers, int MaxTokens, int Samples, float Temperature, uint Seed, bool Chat, string? ChatTemplate, double MaxPerplexityRatio, string? Neutral, string? Output, IReadOnlyList<string> Unused);

    /// <summary>A set argument: a path as given (an existing file or folder, or anything with a folder in it or ending .json), or a shipped set's name (<c>tinystories</c> → <c>vectors/datasets/instruction-sets/tinystories.json</c>).</summary>
    public static string SetPath(string nameOrPath) =>
        File.Exists(nameOrPath) || Directory.Exists(nameOrPath) || nameOrPath.Contains(Path.DirectorySeparatorChar) || nameOrPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            ? nameOrPath
            : RepoFiles.Find(Path.Combine(SetFolder, nameOrPath + ".json"));

    public int Run(ParseResult parse, CommonOptions common, Shared shared, CancellationToken ct)
    {
        if (shared.Unused.Count > 0)
            throw new ArgumentException($"{string.Join(", ", shared.Unused)} do(es) not apply to --instruction-set: its prompts, checkers and vectors come from the set.");
        // Everything that needs no model is checked first: the set (with its checkers and split), the strengths, the compositions.
        var set = Evaluation.Instructions.InstructionSet.Load(SetPath(parse.GetValue(InstructionSet)!));
        var strengths = shared.Strengths is null ? [] : EvalCommand.ParseStrengths(shared.Strengths).Where(s => s != 0).ToArray();
        var adjust = !parse.GetValue(NoAdjustToTarget);
        if (!adjust && strengths.Length == 0) throw new ArgumentException("--no-adjust-to-target leaves nothing to sweep: give --strengths.");
        var compositions = (parse.GetValue(Compose) ?? []).Select(c => c.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToArray();
        foreach (var names in compositions)
        {
            if (names.Length < 2 || names.Distinct().Count() != names.Length) throw new ArgumentException($"--compose-instructions {string.Join(",", names)}: name two or more different instructions.");
            foreach (var n in names) _ = set[n];
            if (strengths.Length == 0) throw new ArgumentException("--compose-instructions adds each vector at its best fixed strength: give --strengths (e.g. 2,4).");
        }
        var sampling = new SamplingOptions { Temperature = shared.Temperature }.Validate();
        var neutralPath = shared.Neutral ?? RepoFiles.Find(EvalCommand.DefaultNeutral);
        if (!File.Exists(neutralPath)) throw new Errors.LlamaSteerException($"{neutralPath}: no such neutral text file.");
        var compliance = new ComplianceSettings
        {
            MaxTokens = shared.MaxTokens,
            Samples = shared.Samples,
            Sampling = sampling,
            Seed = shared.Seed,
            NeutralText = File.ReadAllText(neutralPath),
            ParseSpecialTokens = shared.Chat,
            Threads = parse.GetValue(common.Threads),
        }.Validate();
        if (!double.IsFinite(shared.MaxPerplexityRatio) || shared.MaxPerplexityRatio < 1)
            throw new ArgumentException($"--max-ppl-ratio must be a finite number >= 1 (got {shared.MaxPerplexityRatio}).");

        using var model = common.LoadModel(parse, ct);
        var search = new InstructionSearchSettings
        {
            Layers = shared.Layers is { } l ? LayerSet.Parse(l, model.LayerCount) : null,
            AdjustToTarget = adjust,
            Strengths = strengths,
            MaxPerplexityRatio = shared.MaxPerplexityRatio,
            Format = shared.Chat ? p => ChatFormatter.Format(model, [new ChatMessage("user", p)], shared.ChatTemplate) : p => p,
            Tokenizer = new DatasetTokenizerOptions { Chat = shared.Chat, ChatTemplate = shared.ChatTemplate },
        };
        // A chat model without a template fails here, before anything is printed or decoded.
        _ = search.Format(set.Train[0]);
        var err = Console.Error;
        var layers = search.Layers ?? InstructionSearch.CandidateLayers(model.LayerCount);
        err.WriteLine($"llamasteer eval: instruction set {set.Name} on {Path.GetFileName(model.Info.Path)}: {set.Instructions.Count} instruction(s), " +
                      $"layers {layers}, {(adjust ? "adjust-to-target" : "")}{(adjust && strengths.Length > 0 ? " and " : "")}{(strengths.Length > 0 ? "add " + string.Join(",", strengths) : "")}; " +
                      $"prompts {set.Train.Count} train, {set.Validation.Count} validation, {set.Test.Count} test; {shared.Samples} sample(s) x {shared.MaxTokens} tokens");
        var progress = new Progress(err);
        var reports = InstructionSearch.Run(model, set, search, compliance, progress, ct);
        var composed = compositions.Select(names =>
        {
            progress.Report($"composition {string.Join(" + ", names)}");
            return InstructionComposition.Run(model, set, reports, names, search, compliance, ct);
        }).ToArray();

        Console.Out.Write(InstructionTables.Render(set, reports, composed, search.MaxPerplexityRatio));
        if (shared.Output is { } o)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(o));
            if (dir is not null) Directory.CreateDirectory(dir);
            File.WriteAllText(o + ".json", InstructionTables.Json(Path.GetFileName(model.Info.Path), set, reports, composed, compliance));
            err.WriteLine($"wrote {o}.json");
        }
        return ErrorReporter.Ok;
    }

    private sealed class Progress(TextWriter writer) : IProgress<string>
    {
        public void Report(string value) => writer.WriteLine("  " + value);
    }
}
