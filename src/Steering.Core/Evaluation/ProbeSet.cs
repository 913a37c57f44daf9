using System.Text.Json;
using LlamaSteer.Errors;

namespace LlamaSteer.Evaluation;

/// <summary>
/// A dataset's probe: the two words whose next-token log-probability difference measures the concept,
/// held-out prompts, and how well the dataset steers its model ("steers", "weak" or "none", as measured
/// and recorded in vectors/README.md).
/// </summary>
public sealed record ConceptProbe(string Positive, string Negative, IReadOnlyList<string> Prompts, string Quality = "steers")
{
    public bool Steers => Quality == "steers";
}

/// <summary>Reads <c>vectors/datasets/probes.json</c>: dataset name → { positive, negative, prompts }.</summary>
public static class ProbeCatalog
{
    /// <exception cref="LlamaSteerException">Unreadable or malformed file.</exception>
    public static IReadOnlyDictionary<string, ConceptProbe> Load(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var result = new Dictionary<string, ConceptProbe>(StringComparer.Ordinal);
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                var e = entry.Value;
                result[entry.Name] = new ConceptProbe(
                    e.GetProperty("positive").GetString()!,
                    e.GetProperty("negative").GetString()!,
                    e.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToArray(),
                    e.TryGetProperty("quality", out var q) ? q.GetString()! : "steers");
            }
            return result;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IOException)
        {
            throw new LlamaSteerException($"{path}: not a probe catalogue ({e.Message}).", e);
        }
    }
}
