using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace LlamaSteer.Host.Serving.Registry;

/// <summary>A named steering spec (the JSON of a request's <c>steering</c> field), addressable as the model id <c>MODEL:NAME</c>.</summary>
internal sealed record Preset(string Name, JsonElement Steering, DateTimeOffset Updated)
{
    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["object"] = "steering.preset",
        ["steering"] = JsonNode.Parse(Steering.GetRawText()),
        ["updated"] = Updated.ToUnixTimeSeconds(),
    };
}

/// <summary>
/// Presets persisted as <c>DATA/presets/NAME.json</c>, written atomically and read from the folder on every use, so
/// replicas sharing the folder see each other's changes at once. Thread-safe.
/// </summary>
internal sealed class PresetStore
{
    private readonly object _lock = new();
    private readonly string _dir;
    private readonly ILogger _logger;

    public PresetStore(string dataDir, ILogger logger)
    {
        _dir = Path.Combine(dataDir, "presets");
        _logger = logger;
        Directory.CreateDirectory(_dir);
    }

    public IReadOnlyList<Preset> List()
    {
        lock (_lock)
            return Directory.EnumerateFiles(_dir, "*.json").Select(Read).OfType<Preset>().OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>The preset, or null; <paramref name="name"/> must already be a valid name (never a path).</summary>
    public Preset? Find(string name)
    {
        if (RegistryNames.IsValid(name) is false) return null;
        lock (_lock)
        {
            var file = Path.Combine(_dir, name + ".json");
            return File.Exists(file) ? Read(file) : null;
        }
    }

    private Preset? Read(string file)
    {
        try
        {
            var stored = JsonSerializer.Deserialize<Stored>(File.ReadAllBytes(file)) ?? throw new JsonException("empty");
            return new Preset(stored.Name, stored.Steering, DateTimeOffset.FromUnixTimeSeconds(stored.Updated));
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            _logger.LogWarning("Skipped stored preset {PresetFile}: {Problem}", Path.GetFileName(file), e.Message);
            return null;
        }
    }

    /// <summary>Stores a preset (the name already checked, the spec already resolved); returns true when it is new.</summary>
    public (Preset Preset, bool Created) Put(string name, JsonElement steering)
    {
        var preset = new Preset(name, steering.Clone(), DateTimeOffset.UtcNow);
        lock (_lock)
        {
            var file = Path.Combine(_dir, name + ".json");
            var created = !File.Exists(file);
            AtomicFile.Write(file, JsonSerializer.SerializeToUtf8Bytes(new Stored(name, preset.Steering, preset.Updated.ToUnixTimeSeconds())));
            return (preset, created);
        }
    }

    public bool Delete(string name)
    {
        lock (_lock)
        {
            var file = Path.Combine(_dir, name + ".json");
            if (!RegistryNames.IsValid(name) || !File.Exists(file)) return false;
            File.Delete(file);
            return true;
        }
    }

    private sealed record Stored(string Name, JsonElement Steering, long Updated);
}
