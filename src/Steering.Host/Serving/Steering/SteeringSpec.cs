using System.Text.Json;
using LlamaSteer.Host.Serving.Api;

namespace LlamaSteer.Host.Serving.Steering;

/// <summary>One vector of a request's steering, as the client wrote it (not yet resolved against the registry).</summary>
internal sealed record VectorSpec(string Id, float Strength, string? Layers, string Operator, string Window, bool Clas);

/// <summary>
/// The <c>steering</c> field of a request, a preset, or the <c>X-Steering</c> header:
/// <c>{"vectors": [{"id", "strength", "layers", "operator", "window", "clas"}], "orthogonalize", "compare"}</c>.
/// </summary>
internal sealed record SteeringSpec(IReadOnlyList<VectorSpec> Vectors, bool Orthogonalize, bool Compare)
{
    public static SteeringSpec Empty { get; } = new([], false, false);

    /// <exception cref="ApiException">400 naming the field that is wrong (<paramref name="path"/>.vectors[i].field).</exception>
    public static SteeringSpec Parse(JsonElement element, string path = "steering")
    {
        var f = JsonFields.Of(element, path);
        var vectors = new List<VectorSpec>();
        if (f.Get("vectors") is { } list)
        {
            if (list.ValueKind != JsonValueKind.Array) throw f.Wrong("vectors", "an array");
            var i = 0;
            foreach (var item in list.EnumerateArray())
            {
                var v = JsonFields.Of(item, $"{path}.vectors[{i}]");
                var id = v.String("id") ?? v.String("name") ?? throw ApiException.BadRequest($"'{v.PathOf("id")}' is missing: name a registered vector.", v.PathOf("id"));
                var strength = v.Number("strength", -1e4, 1e4) ?? 1;
                var op = (v.String("operator") ?? "add").ToLowerInvariant();
                if (op is not ("add" or "ablate" or "clamp"))
                    throw ApiException.BadRequest($"'{v.PathOf("operator")}' is '{op}'; use add, ablate or clamp.", v.PathOf("operator"));
                vectors.Add(new VectorSpec(id, (float)strength, v.String("layers"), op, v.String("window") ?? "all", v.Bool("clas") ?? false));
                i++;
            }
        }
        if (vectors.Count > 16) throw ApiException.BadRequest($"'{path}.vectors' has {vectors.Count} entries; at most 16 are allowed.", $"{path}.vectors");
        return new SteeringSpec(vectors, f.Bool("orthogonalize") ?? f.Bool("orthogonalise") ?? false, f.Bool("compare") ?? false);
    }

    /// <summary>Parses the JSON text of an <c>X-Steering</c> header.</summary>
    public static SteeringSpec ParseHeader(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return Parse(doc.RootElement.Clone(), "X-Steering");
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"The X-Steering header is not valid JSON: {e.Message.Split('\n')[0]}", "X-Steering");
        }
    }
}
