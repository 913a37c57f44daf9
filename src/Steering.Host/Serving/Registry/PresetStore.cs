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

/// <summary>Presets persisted as <c>DATA/presets/NAME.json</c>, written atomically. Thread-safe.</summary>
internal sealed class PresetStore
{
    private readonly object _lock = new();
    private readonly Dictionary<string, Preset> _byName = new(StringComparer.Ordinal);
    private readonly string _dir;

    public PresetStore(string dataDir, ILogger logger)
    {
        _dir = Path.Combine(dataDir, "presets");
        Directory.CreateDirectory(_dir);
        foreach (var file in Directory.EnumerateFiles(_dir, "*.json"))
        {
            try
            {
                var stored = JsonSerializer.Deserialize<Stored>(File.ReadAllBytes(file)) ?? throw new JsonException("empty");
                _byName[stored.Name] = new Preset(stored.Name, stored.Steering, DateTimeOffset.FromUnixTimeSeconds(stored.Updated));
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                logger.LogWarning("Skipped stored preset {PresetFile}: {Problem}", Path.GetFileName(file), e.Message);
            }
        }
    }

    public IReadOnlyList<Preset> List()
    {
        lock (_lock) return _byName.Values.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
    }

    public Preset? Find(string name)
    {
        lock (_lock) return _byName.GetValueOrDefault(name);
    }

    /// <summary>Stores a preset (the name already checked, the spec already resolved); returns true when it is new.</summary>
    public (Preset Preset, bool Created) Put(string name, JsonElement steering)
    {
        var preset = new Preset(name, steering.Clone(), DateTimeOffset.UtcNow);
        lock (_lock)
        {
            AtomicFile.Write(Path.Combine(_dir, name + ".json"), JsonSerializer.SerializeToUtf8Bytes(new Stored(name, preset.Steering, preset.Updated.ToUnixTimeSeconds())));
            var created = !_byName.ContainsKey(name);
            _byName[name] = preset;
            return (preset, created);
        }
    }

    public bool Delete(string name)
    {
        lock (_lock)
        {
            if (!_byName.Remove(name)) return false;
            File.Delete(Path.Combine(_dir, name + ".json"));
            return true;
        }
    }

    private sealed record Stored(string Name, JsonElement Steering, long Updated);
}
