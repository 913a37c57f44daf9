using System.Text.Json;
using System.Text.Json.Serialization;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Datasets;

/// <summary>
/// One entry of vectors/datasets/probes.json: a next-token pair whose log-probability difference
/// should move with a dataset's concept, and held-out prompts after which either is plausible.
/// </summary>
internal sealed record ProbeSet(
    [property: JsonPropertyName("positive")] string Positive,
    [property: JsonPropertyName("negative")] string Negative,
    [property: JsonPropertyName("prompts")] string[] Prompts)
{
    public static string DatasetsFolder => Path.Combine(TestPaths.RepoRoot, "vectors", "datasets");

    public static IReadOnlyDictionary<string, ProbeSet> LoadShipped() =>
        JsonSerializer.Deserialize<Dictionary<string, ProbeSet>>(File.ReadAllText(Path.Combine(DatasetsFolder, "probes.json")))
        ?? throw new InvalidDataException("probes.json is empty.");
}
