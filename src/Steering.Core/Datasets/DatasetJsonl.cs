using System.Text.Json;

namespace LlamaSteer.Datasets;

/// <summary>Parses and checks the lines of a JSONL dataset (format in <see cref="ContrastiveDataset"/>).</summary>
internal static class DatasetJsonl
{
    private static readonly string[] KnownFields = ["prompt", "positive", "negative", "instruction"];

    public static (List<ContrastivePair> Pairs, DatasetKind Kind) Parse(IReadOnlyList<DatasetText.Line> lines, string path)
    {
        var pairs = new List<ContrastivePair>();
        DatasetKind? kind = null;
        var firstLine = 0;
        foreach (var (number, text) in lines)
        {
            var trimmed = text.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith("//", StringComparison.Ordinal) || trimmed.StartsWith('#')) continue;
            DatasetFormatException Error(string problem, Exception? inner = null) => new(path, number, problem, inner);

            var fields = Fields(text, Error);
            var lineKind = fields.ContainsKey("instruction") ? DatasetKind.Instruction : DatasetKind.Contrastive;
            if (kind is { } k && k != lineKind)
                throw Error(lineKind == DatasetKind.Instruction
                    ? $"an instruction line in a dataset of contrastive pairs (line {firstLine} set the form); keep instruction lines in a file of their own."
                    : $"a contrastive pair in a dataset of instruction lines (line {firstLine} set the form); keep contrastive pairs in a file of their own.");
            if (kind is null)
            {
                kind = lineKind;
                firstLine = number;
            }
            pairs.Add(lineKind == DatasetKind.Instruction ? InstructionLine(fields, number, Error) : ContrastiveLine(fields, number, Error));
        }
        if (kind is null) throw new DatasetFormatException(path, null, "no pairs (the file is empty or holds only comments and blank lines).");
        return (pairs, kind.Value);
    }

    private static Dictionary<string, string> Fields(string line, Func<string, Exception?, DatasetFormatException> error)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw error($"invalid JSON at column {e.BytePositionInLine + 1}: {Describe(e)}", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw error($"expected a JSON object, found {Kind(doc.RootElement.ValueKind)}.", null);
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            var unknown = new List<string>();
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (!KnownFields.Contains(p.Name, StringComparer.Ordinal))
                {
                    unknown.Add($"'{p.Name}'");
                    continue;
                }
                if (fields.ContainsKey(p.Name)) throw error($"the field '{p.Name}' appears twice.", null);
                if (p.Value.ValueKind != JsonValueKind.String)
                    throw error($"the field '{p.Name}' must be a string, found {Kind(p.Value.ValueKind)}.", null);
                var value = p.Value.GetString()!;
                if (string.IsNullOrWhiteSpace(value)) throw error($"the field '{p.Name}' is empty.", null);
                fields[p.Name] = value;
            }
            if (unknown.Count > 0)
                throw error($"unknown field{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown)}; known fields are prompt, positive, negative and instruction.", null);
            return fields;
        }
    }

    private static ContrastivePair ContrastiveLine(Dictionary<string, string> fields, int number, Func<string, Exception?, DatasetFormatException> error)
    {
        var missing = new[] { "positive", "negative" }.Where(f => !fields.ContainsKey(f)).Select(f => $"'{f}'").ToList();
        if (missing.Count > 0)
            throw error($"missing field{(missing.Count > 1 ? "s" : "")} {string.Join(" and ", missing)}; a pair is {{\"positive\", \"negative\"}}, {{\"prompt\", \"positive\", \"negative\"}} or {{\"instruction\", \"prompt\"}}.", null);
        var pair = new ContrastivePair(fields.GetValueOrDefault("prompt"), fields["positive"], fields["negative"], number);
        if (pair.Positive == pair.Negative) throw error("positive and negative are the same text.", null);
        return pair;
    }

    private static ContrastivePair InstructionLine(Dictionary<string, string> fields, int number, Func<string, Exception?, DatasetFormatException> error)
    {
        var extra = new[] { "positive", "negative" }.Where(fields.ContainsKey).Select(f => $"'{f}'").ToList();
        if (extra.Count > 0)
            throw error($"'instruction' cannot be combined with {string.Join(" and ", extra)}: an instruction line holds 'instruction' and 'prompt' only.", null);
        if (!fields.TryGetValue("prompt", out var prompt))
            throw error("missing field 'prompt': an instruction line holds 'instruction' and 'prompt'.", null);
        return ContrastiveDataset.InstructionPair(fields["instruction"], prompt, number);
    }

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    // System.Text.Json appends "LineNumber: 0 | BytePositionInLine: n." (zero-based, per document);
    // the file's line and the column are already in our message.
    private static string Describe(JsonException e)
    {
        var m = e.Message;
        var at = m.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return at > 0 ? m[..at] : m;
    }
}
