using System.Security.Cryptography;
using System.Text.Json;
using LlamaSteer.Datasets;

namespace LlamaSteer.Training.Methods.Bipo;

/// <summary>
/// A preference dataset: JSONL, one <c>{"prompt": ..., "chosen": ..., "rejected": ...}</c> object per line (blank lines
/// and lines starting with <c>#</c> or <c>//</c> are skipped). Every problem is reported as "FILE: line N: PROBLEM".
/// Immutable.
/// </summary>
public sealed class PreferenceDataset
{
    private static readonly string[] Fields = ["prompt", "chosen", "rejected"];

    private PreferenceDataset(string name, IReadOnlyList<PreferencePair> pairs, string sha256)
    {
        Name = name;
        Pairs = pairs;
        Sha256 = sha256;
    }

    public string Name { get; }

    public IReadOnlyList<PreferencePair> Pairs { get; }

    /// <summary>SHA-256 of the file's bytes (hex), for provenance.</summary>
    public string Sha256 { get; }

    /// <summary>Reads and checks <paramref name="path"/>.</summary>
    /// <exception cref="DatasetFormatException">Invalid JSON, a missing, empty or unknown field, chosen equal to rejected, or no pairs.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static PreferenceDataset Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such preference dataset.", path);
        var bytes = File.ReadAllBytes(path);
        var lines = System.Text.Encoding.UTF8.GetString(bytes).Split('\n');
        var pairs = new List<PreferencePair>();
        for (var i = 0; i < lines.Length; i++)
        {
            var text = lines[i].TrimEnd('\r');
            var trimmed = text.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#') || trimmed.StartsWith("//", StringComparison.Ordinal)) continue;
            pairs.Add(Parse(text, path, i + 1));
        }
        if (pairs.Count == 0) throw new DatasetFormatException(path, null, "no preference pairs (the file is empty or holds only comments).");
        // A shipped set's split (NAME.train.jsonl) is named for the set, so probes.json finds its probe.
        var name = Path.GetFileNameWithoutExtension(path);
        if (name.EndsWith(".train", StringComparison.Ordinal)) name = name[..^".train".Length];
        return new PreferenceDataset(name, pairs, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    private static PreferencePair Parse(string line, string path, int number)
    {
        DatasetFormatException Error(string problem, Exception? inner = null) => new(path, number, problem, inner);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw Error($"invalid JSON at column {e.BytePositionInLine + 1}.", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Error("expected a JSON object with prompt, chosen and rejected.");
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (!Fields.Contains(p.Name, StringComparer.Ordinal))
                    throw Error($"unknown field '{p.Name}'; a preference line has prompt, chosen and rejected.");
                if (p.Value.ValueKind != JsonValueKind.String) throw Error($"'{p.Name}' must be a string.");
                values[p.Name] = p.Value.GetString()!;
            }
            foreach (var f in Fields)
                if (!values.ContainsKey(f)) throw Error($"missing field '{f}'.");
            if (values["prompt"].Trim().Length == 0) throw Error("'prompt' is empty.");
            if (values["chosen"].Trim().Length == 0) throw Error("'chosen' is an empty response.");
            if (values["rejected"].Trim().Length == 0) throw Error("'rejected' is an empty response.");
            if (values["chosen"] == values["rejected"]) throw Error("'chosen' equals 'rejected'; a preference needs two different responses.");
            return new PreferencePair(values["prompt"], values["chosen"], values["rejected"], number);
        }
    }
}
