using System.Text.Json;

namespace LlamaSteer.Host.Serving.Api;

/// <summary>
/// Typed reads of a JSON object's fields that refuse wrong types with a 400 naming the field
/// (<c>steering.vectors[0].strength</c>); absent and null fields read as null, unknown fields are ignored.
/// </summary>
internal readonly struct JsonFields(JsonElement element, string path)
{
    public static JsonFields Of(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw ApiException.BadRequest(path.Length == 0 ? "The body must be a JSON object." : $"'{path}' must be an object.", path.Length == 0 ? null : path);
        return new JsonFields(element, path);
    }

    public string PathOf(string name) => path.Length == 0 ? name : $"{path}.{name}";

    public JsonElement? Get(string name) =>
        element.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public string? String(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        _ => throw Wrong(name, "a string"),
    };

    public bool? Bool(string name) => Get(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw Wrong(name, "true or false"),
    };

    public double? Number(string name, double min, double max)
    {
        if (Get(name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d)) throw Wrong(name, "a number");
        if (d < min || d > max) throw ApiException.BadRequest($"'{PathOf(name)}' is {d} but must be between {min} and {max}.", PathOf(name));
        return d;
    }

    public long? Integer(string name, long min, long max)
    {
        if (Get(name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || d != Math.Floor(d)) throw Wrong(name, "an integer");
        if (d < min || d > max) throw ApiException.BadRequest($"'{PathOf(name)}' is {d} but must be between {min} and {max}.", PathOf(name));
        return (long)d;
    }

    public ApiException Wrong(string name, string what) => ApiException.BadRequest($"'{PathOf(name)}' must be {what}.", PathOf(name));
}
