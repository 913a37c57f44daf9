using System.Security.Cryptography;
using System.Text.Json;

namespace LlamaSteer.Datasets;

/// <summary>One labelled prompt: whether the condition holds for it, and which part of the set it is in.</summary>
public sealed record LabelledPrompt(string Prompt, bool Label, string Split, int LineNumber);

/// <summary>
/// Prompts labelled for a condition (does it hold for this prompt or not), for fitting and testing
/// conditional steering, split into a part to fit on and a held-out part. Immutable; thread-safe.
/// </summary>
/// <remarks>
/// File format: UTF-8 JSONL, one object per non-blank line (lines starting with <c>//</c> or <c>#</c> are
/// comments): <c>{"prompt": "...", "label": true, "split": "fit"}</c>. <c>label</c> is a boolean;
/// <c>split</c> is <c>"fit"</c> or <c>"test"</c>.
/// </remarks>
public sealed class LabelledPromptSet
{
    public const string FitSplit = "fit";
    public const string TestSplit = "test";

    private LabelledPromptSet(string name, string path, string sha256, IReadOnlyList<LabelledPrompt> prompts)
    {
        Name = name;
        SourcePath = path;
        Sha256 = sha256;
        Prompts = prompts;
    }

    /// <summary>The file name without its extension.</summary>
    public string Name { get; }

    public string SourcePath { get; }

    /// <summary>SHA-256 (lower-case hex) of the file's bytes.</summary>
    public string Sha256 { get; }

    /// <summary>Every prompt, in file order.</summary>
    public IReadOnlyList<LabelledPrompt> Prompts { get; }

    /// <summary>The prompts of a split with the given label.</summary>
    public IReadOnlyList<string> Select(string split, bool label) =>
        Prompts.Where(p => p.Split == split && p.Label == label).Select(p => p.Prompt).ToArray();

    /// <exception cref="DatasetFormatException">A missing or unreadable file, a malformed line, a repeated prompt, or a split without prompts of both labels.</exception>
    public static LabelledPromptSet Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DatasetFormatException(path, null, "no such file.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetFormatException(path, null, $"cannot be read: {e.Message}", e);
        }
        var prompts = new List<LabelledPrompt>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (number, text) in DatasetText.Lines(bytes, path))
        {
            var trimmed = text.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith("//", StringComparison.Ordinal) || trimmed.StartsWith('#')) continue;
            var p = ParseLine(trimmed, path, number);
            if (seen.TryGetValue(p.Prompt, out var first)) throw new DatasetFormatException(path, number, $"the prompt repeats line {first}.");
            seen[p.Prompt] = number;
            prompts.Add(p);
        }
        if (prompts.Count == 0) throw new DatasetFormatException(path, null, "no prompts (the file is empty or holds only comments and blank lines).");
        foreach (var split in new[] { FitSplit, TestSplit })
            foreach (var label in new[] { true, false })
                if (!prompts.Any(p => p.Split == split && p.Label == label))
                    throw new DatasetFormatException(path, null, $"the '{split}' split has no prompts labelled {(label ? "true" : "false")}.");
        return new LabelledPromptSet(Path.GetFileNameWithoutExtension(path), Path.GetFullPath(path), Convert.ToHexStringLower(SHA256.HashData(bytes)), prompts);
    }

    private static LabelledPrompt ParseLine(string line, string path, int number)
    {
        DatasetFormatException Error(string problem, Exception? inner = null) => new(path, number, problem, inner);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw Error("invalid JSON.", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Error("expected a JSON object.");
            string? prompt = null, split = null;
            bool? label = null;
            foreach (var f in root.EnumerateObject())
            {
                switch (f.Name)
                {
                    case "prompt" when f.Value.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(f.Value.GetString()):
                        prompt = f.Value.GetString();
                        break;
                    case "label" when f.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                        label = f.Value.GetBoolean();
                        break;
                    case "split" when f.Value.ValueKind == JsonValueKind.String && f.Value.GetString() is FitSplit or TestSplit:
                        split = f.Value.GetString();
                        break;
                    case "prompt" or "label" or "split":
                        throw Error($"the field '{f.Name}' must be {(f.Name == "prompt" ? "a non-empty string" : f.Name == "label" ? "true or false" : "\"fit\" or \"test\"")}.");
                    default:
                        throw Error($"unknown field '{f.Name}'; known fields are prompt, label and split.");
                }
            }
            if (prompt is null || label is null || split is null)
                throw Error("a labelled prompt is {\"prompt\": \"...\", \"label\": true|false, \"split\": \"fit\"|\"test\"}.");
            return new LabelledPrompt(prompt, label.Value, split, number);
        }
    }
}
