using System.Text.Json;
using LlamaSteer.Datasets;
using LlamaSteer.Evaluation.Checkers;

namespace LlamaSteer.Evaluation.Instructions;

/// <summary>One instruction of a set: its text (appended to a prompt on a line of its own) and the checks a response must all pass.</summary>
public sealed record Instruction(string Name, string Text, IReadOnlyList<ITextCheck> Checks)
{
    /// <summary>Whether a response follows the instruction: every check passes.</summary>
    public bool IsFollowedBy(string response) => Checks.All(c => c.Passes(response));

    /// <summary>The prompt with the instruction written into it (<see cref="ContrastiveDataset.InstructionSeparator"/>, as training pairs join them).</summary>
    public string WrittenInto(string prompt) => prompt + ContrastiveDataset.InstructionSeparator + Text;
}

/// <summary>
/// Instructions with their checkers and the prompts to measure them on, split three ways as the paper
/// ("Improving Instruction-Following in Language Models through Activation Steering") does: train (the
/// instruction vector is extracted from these prompts with and without the instruction), validation (the layer
/// is picked on these, without the instruction) and test (held out; everything reported is measured here).
/// Immutable; thread-safe.
/// </summary>
/// <remarks>
/// File format (JSON): <c>{"description": "...", "prompts": ["...", ...], "split": {"train": 12, "validation": 8},
/// "instructions": [{"name": "animal", "instruction": "There was a little dog.", "checks": ["any-of:dog,cat"]}]}</c>.
/// The first <c>train</c> prompts train, the next <c>validation</c> validate, the rest are the test split.
/// Check spellings are <see cref="TextChecks.Parse"/>'s.
/// </remarks>
public sealed class InstructionSet
{
    private InstructionSet(string name, IReadOnlyList<string> train, IReadOnlyList<string> validation, IReadOnlyList<string> test, IReadOnlyList<Instruction> instructions)
    {
        Name = name;
        Train = train;
        Validation = validation;
        Test = test;
        Instructions = instructions;
    }

    /// <summary>The file name without its extension.</summary>
    public string Name { get; }

    public IReadOnlyList<string> Train { get; }

    public IReadOnlyList<string> Validation { get; }

    public IReadOnlyList<string> Test { get; }

    public IReadOnlyList<Instruction> Instructions { get; }

    /// <summary>The instruction called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such instruction; the message lists the set's.</exception>
    public Instruction this[string name] =>
        Instructions.FirstOrDefault(i => i.Name == name)
        ?? throw new ArgumentException($"The instruction set {Name} has no instruction '{name}'; it has {string.Join(", ", Instructions.Select(i => i.Name))}.");

    /// <exception cref="DatasetFormatException">
    /// A missing or unreadable file, invalid JSON, a missing or empty field, an instruction without a checker, a
    /// checker spelling that does not parse, repeated names or prompts, or a split that leaves a part empty.
    /// </exception>
    public static InstructionSet Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DatasetFormatException(path, null, "no such instruction set file.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetFormatException(path, null, $"cannot be read: {e.Message}", e);
        }
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return Parse(doc.RootElement, path);
        }
        catch (JsonException e)
        {
            throw new DatasetFormatException(path, (int?)(e.LineNumber + 1), $"not valid JSON: {e.Message.Split('.')[0]}.", e);
        }
    }

    private static InstructionSet Parse(JsonElement root, string path)
    {
        DatasetFormatException Bad(string problem) => new(path, null, problem);
        if (root.ValueKind != JsonValueKind.Object) throw Bad("the file must hold one JSON object with prompts, split and instructions.");
        var prompts = Strings(root, "prompts", path);
        if (prompts.Distinct(StringComparer.Ordinal).Count() != prompts.Count) throw Bad("a prompt is repeated in 'prompts'.");
        if (!root.TryGetProperty("split", out var split) || split.ValueKind != JsonValueKind.Object)
            throw Bad("'split' is missing: give {\"train\": N, \"validation\": M}; the remaining prompts are the test split.");
        var train = Count(split, "train");
        var validation = Count(split, "validation");
        if (train == 0) throw Bad("the split leaves no training prompts ('split.train' is 0); the instruction vectors are extracted from them.");
        if (validation == 0) throw Bad("the split leaves no validation prompts ('split.validation' is 0); the layer is picked on them.");
        if ((long)train + validation >= prompts.Count) // long: two huge counts must not wrap round to a small sum
            throw Bad($"the split leaves no test prompts: train {train} + validation {validation} of {prompts.Count} prompts; the results are reported on the rest.");

        if (!root.TryGetProperty("instructions", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            throw Bad("'instructions' is missing or empty.");
        var instructions = new List<Instruction>();
        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            index++;
            if (item.ValueKind != JsonValueKind.Object) throw Bad($"instruction {index} is not an object.");
            var name = String(item, "name", $"instruction {index}");
            var what = $"instruction '{name}'";
            var instruction = String(item, "instruction", what);
            if (!item.TryGetProperty("checks", out var checks) || checks.ValueKind != JsonValueKind.Array || checks.GetArrayLength() == 0)
                throw Bad($"{what} has no checker: give \"checks\": [\"SPEC\", ...] ({TextChecks.Known}).");
            var parsed = checks.EnumerateArray().Select(c =>
            {
                if (c.ValueKind != JsonValueKind.String) throw Bad($"{what}: every check must be a string.");
                try
                {
                    return TextChecks.Parse(c.GetString()!);
                }
                catch (ArgumentException e)
                {
                    throw new DatasetFormatException(path, null, $"{what}: {e.Message}", e);
                }
            }).ToArray();
            if (instructions.Any(i => i.Name == name)) throw Bad($"two instructions are called '{name}'.");
            instructions.Add(new Instruction(name, instruction, parsed));
        }
        return new InstructionSet(Path.GetFileNameWithoutExtension(path), prompts.Take(train).ToArray(), prompts.Skip(train).Take(validation).ToArray(), prompts.Skip(train + validation).ToArray(), instructions);

        int Count(JsonElement e, string field) =>
            e.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= 0
                ? n
                : throw Bad($"'split.{field}' must be a whole number of prompts.");

        string String(JsonElement e, string field, string what) =>
            e.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString())
                ? v.GetString()!.Trim()
                : throw Bad($"{what} has no '{field}' text.");
    }

    private static List<string> Strings(JsonElement root, string field, string path)
    {
        if (!root.TryGetProperty(field, out var v) || v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0)
            throw new DatasetFormatException(path, null, $"'{field}' is missing or empty.");
        return v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(e.GetString())
            ? e.GetString()!.Trim()
            : throw new DatasetFormatException(path, null, $"'{field}' holds an empty or non-string entry.")).ToList();
    }
}
