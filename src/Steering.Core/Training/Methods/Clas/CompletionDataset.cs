using System.Text.Json;
using LlamaSteer.Datasets;
using LlamaSteer.Models;

namespace LlamaSteer.Training.Methods.Clas;

/// <summary>
/// Target completions for CLAS-lm: JSONL, one <c>{"prompt": ..., "response": ...}</c> per line (blank lines and lines
/// starting with <c>#</c> or <c>//</c> skipped); problems are reported as "FILE: line N: PROBLEM". Immutable.
/// </summary>
public sealed class CompletionDataset
{
    private static readonly string[] Fields = ["prompt", "response"];

    private CompletionDataset(string path, IReadOnlyList<(string Prompt, string Response, int Line)> items)
    {
        Path = path;
        Items = items;
    }

    public string Path { get; }

    public IReadOnlyList<(string Prompt, string Response, int Line)> Items { get; }

    /// <exception cref="DatasetFormatException">Invalid JSON, a missing, empty or unknown field, or no lines.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static CompletionDataset Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such completion dataset.", path);
        var items = new List<(string, string, int)>();
        var lines = File.ReadAllLines(path);
        for (var i = 0; i < lines.Length; i++)
        {
            var t = lines[i].Trim();
            if (t.Length == 0 || t.StartsWith('#') || t.StartsWith("//", StringComparison.Ordinal)) continue;
            DatasetFormatException Error(string problem, Exception? inner = null) => new(path, i + 1, problem, inner);
            Dictionary<string, string> values = new(StringComparer.Ordinal);
            try
            {
                using var doc = JsonDocument.Parse(lines[i]);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Error("expected a JSON object with prompt and response.");
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    if (!Fields.Contains(p.Name)) throw Error($"unknown field '{p.Name}'; a completion line has prompt and response.");
                    if (p.Value.ValueKind != JsonValueKind.String) throw Error($"'{p.Name}' must be a string.");
                    values[p.Name] = p.Value.GetString()!;
                }
            }
            catch (JsonException e)
            {
                throw Error($"invalid JSON at column {e.BytePositionInLine + 1}.", e);
            }
            foreach (var f in Fields)
            {
                if (!values.TryGetValue(f, out var v)) throw Error($"missing field '{f}'.");
                if (v.Trim().Length == 0) throw Error($"'{f}' is empty.");
            }
            items.Add((values["prompt"], values["response"], i + 1));
        }
        if (items.Count == 0) throw new DatasetFormatException(path, null, "no completions (the file is empty or holds only comments).");
        return new CompletionDataset(path, items);
    }

    /// <summary>The completions through <paramref name="model"/>'s tokenizer: prompt with BOS, response without, EOS appended.</summary>
    public IReadOnlyList<CompletionExample> Tokenize(LlamaModel model) => [.. Items.Select(item =>
    {
        var prompt = model.Tokenize(item.Prompt);
        var response = model.Tokenize(item.Response, addSpecial: false);
        if (response.Length == 0) throw new DatasetFormatException(Path, item.Line, "'response' has no tokens.");
        return new CompletionExample([.. prompt, .. response, model.Handle.EosToken], prompt.Length);
    })];
}
