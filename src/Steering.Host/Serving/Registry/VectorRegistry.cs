using System.Text.Json;
using System.Text.Json.Nodes;
using LlamaSteer.Host.Serving.Api;
using LlamaSteer.Models;
using LlamaSteer.Steering.Contextual;
using LlamaSteer.Vectors;
using Microsoft.Extensions.Logging;

namespace LlamaSteer.Host.Serving.Registry;

/// <summary>
/// The control vectors a server steers with, validated against its model and persisted under
/// <c>DATA/vectors/</c> as <c>ID.gguf</c>, <c>ID.clas.gguf</c> and <c>ID.json</c> (name, time), each written
/// atomically. Ids are content-addressed: the first 16 hex digits of the SHA-256 of the directions
/// (<see cref="ClasParameters.Fingerprint"/>). Thread-safe.
/// </summary>
internal sealed class VectorRegistry
{
    private readonly object _lock = new();
    private readonly Dictionary<string, RegisteredVector> _byId = new(StringComparer.Ordinal);
    private readonly string _dir;
    private readonly string _incoming;
    private readonly LlamaModel _model;
    private readonly ILogger _logger;

    public VectorRegistry(string dataDir, LlamaModel model, ILogger logger)
    {
        _dir = Path.Combine(dataDir, "vectors");
        _incoming = Path.Combine(dataDir, "incoming");
        _model = model;
        _logger = logger;
        Directory.CreateDirectory(_dir);
        Directory.CreateDirectory(_incoming);
        foreach (var stale in Directory.EnumerateFiles(_incoming)) File.Delete(stale);
        Refresh();
    }

    public IReadOnlyList<RegisteredVector> List()
    {
        lock (_lock)
        {
            Refresh();
            return _byId.Values.OrderBy(v => v.Name, StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>By id, then by name; a miss looks at the folder again, for vectors another replica stored.</summary>
    public RegisteredVector? Find(string idOrName)
    {
        lock (_lock)
        {
            if (Lookup(idOrName) is { } hit && File.Exists(Path.Combine(_dir, hit.Id + ".json"))) return hit;
            Refresh();
            return Lookup(idOrName);
        }
    }

    private RegisteredVector? Lookup(string idOrName) =>
        _byId.TryGetValue(idOrName, out var v) ? v : _byId.Values.FirstOrDefault(x => x.Name == idOrName);

    /// <summary>
    /// Brings the in-memory view in line with the folder, which replicas behind a load balancer may share: vectors whose
    /// metadata appeared are loaded, vectors whose metadata is gone are dropped. Ids are content addresses, so a loaded
    /// vector never changes under its id. Called under the lock.
    /// </summary>
    private void Refresh()
    {
        var stored = Directory.EnumerateFiles(_dir, "*.json").ToDictionary(f => Path.GetFileNameWithoutExtension(f), StringComparer.Ordinal);
        foreach (var gone in _byId.Keys.Where(id => !stored.ContainsKey(id)).ToList()) _byId.Remove(gone);
        foreach (var (id, file) in stored)
            if (!_byId.ContainsKey(id)) LoadStored(file);
    }

    /// <summary>Validates an uploaded vector (and CLAS parameters) against the model and stores it; the same directions again return the stored entry.</summary>
    /// <exception cref="ApiException">400 not a control vector, 422 made for another model, 409 name taken by another vector.</exception>
    public (RegisteredVector Vector, bool Created) Add(string name, Stream vectorFile, Stream? clasFile)
    {
        RegistryNames.Check(name, "name");
        var vectorTemp = Path.Combine(_incoming, Guid.NewGuid().ToString("N") + ".gguf");
        var clasTemp = Path.Combine(_incoming, Guid.NewGuid().ToString("N") + ".clas.gguf");
        try
        {
            Save(vectorFile, vectorTemp);
            var vector = ReadVector(vectorTemp, "file");
            ClasParameters? clas = null;
            if (clasFile is not null)
            {
                Save(clasFile, clasTemp);
                clas = ReadClas(clasTemp, vector);
            }
            var sha = ClasParameters.Fingerprint(vector);
            var id = sha[..16];
            lock (_lock)
            {
                Refresh();
                if (_byId.TryGetValue(id, out var existing)) return (existing, false);
                if (_byId.Values.Any(v => v.Name == name))
                    throw new ApiException(409, $"The name '{name}' belongs to another vector; delete it first or choose another name.", "name", "name_taken");
                var entry = new RegisteredVector(id, name, sha, vector, clas, DateTimeOffset.UtcNow);
                if (clas is not null) AtomicFile.MoveInto(clasTemp, Path.Combine(_dir, id + ".clas.gguf"));
                AtomicFile.MoveInto(vectorTemp, Path.Combine(_dir, id + ".gguf"));
                // The metadata file goes last: a vector counts as stored once it exists.
                AtomicFile.Write(Path.Combine(_dir, id + ".json"), JsonSerializer.SerializeToUtf8Bytes(new StoredMeta(name, entry.Created.ToUnixTimeSeconds())));
                _byId[id] = entry;
                _logger.LogInformation("Registered vector {VectorId} as {VectorName} (layers {Layers})", id, name, string.Join(",", vector.Layers));
                return (entry, true);
            }
        }
        finally
        {
            File.Delete(vectorTemp);
            File.Delete(clasTemp);
        }
    }

    /// <summary>Registers every control vector of a folder (NAME.gguf, with NAME.clas.gguf when present); files that do not fit the model are skipped with a warning.</summary>
    public int Preload(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"--vectors {folder}: no such folder.");
        var count = 0;
        foreach (var file in Directory.EnumerateFiles(folder, "*.gguf", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (file.EndsWith(".clas.gguf", StringComparison.Ordinal)) continue;
            var name = Path.GetFileNameWithoutExtension(file);
            var clasPath = ClasParameters.PathBeside(file);
            try
            {
                using var v = File.OpenRead(file);
                using var c = File.Exists(clasPath) ? File.OpenRead(clasPath) : null;
                if (Add(name, v, c).Created) count++;
            }
            catch (ApiException e)
            {
                _logger.LogWarning("Skipped preloading vector {VectorName}: {Problem}", name, e.Message);
            }
        }
        return count;
    }

    public bool Delete(string idOrName)
    {
        lock (_lock)
        {
            var entry = Lookup(idOrName);
            if (entry is null) return false;
            // Metadata first: a vector without it is not loaded at the next start.
            File.Delete(Path.Combine(_dir, entry.Id + ".json"));
            File.Delete(Path.Combine(_dir, entry.Id + ".gguf"));
            File.Delete(Path.Combine(_dir, entry.Id + ".clas.gguf"));
            _byId.Remove(entry.Id);
            _logger.LogInformation("Deleted vector {VectorId} ({VectorName})", entry.Id, entry.Name);
            return true;
        }
    }

    private void LoadStored(string metaFile)
    {
        var id = Path.GetFileNameWithoutExtension(metaFile);
        try
        {
            var meta = JsonSerializer.Deserialize<StoredMeta>(File.ReadAllBytes(metaFile)) ?? throw new JsonException("empty");
            var vector = ReadVector(Path.Combine(_dir, id + ".gguf"), "file");
            var clasPath = Path.Combine(_dir, id + ".clas.gguf");
            var clas = File.Exists(clasPath) ? ReadClas(clasPath, vector) : null;
            var sha = ClasParameters.Fingerprint(vector);
            if (sha[..16] != id) throw new InvalidDataException("its content does not match its id");
            _byId[id] = new RegisteredVector(id, meta.Name, sha, vector, clas, DateTimeOffset.FromUnixTimeSeconds(meta.Created));
        }
        catch (Exception e) when (e is ApiException or JsonException or IOException or InvalidDataException)
        {
            _logger.LogWarning("Skipped stored vector {VectorId}: {Problem}", id, e.Message);
        }
    }

    private static void Save(Stream source, string path)
    {
        using var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        source.CopyTo(target);
        target.Flush(flushToDisk: true);
    }

    private SteeringVector ReadVector(string path, string param)
    {
        SteeringVector vector;
        try
        {
            vector = ControlVectorFile.Read(path);
        }
        catch (ControlVectorFormatException e)
        {
            // The message names the temporary path; the client gets only the problem.
            throw ApiException.BadRequest($"The upload is not a valid control-vector GGUF: {e.Problem}", param, "invalid_vector");
        }
        var info = _model.Info;
        if (vector.EmbeddingSize != info.EmbeddingSize)
            throw Mismatch($"the vector has n_embd {vector.EmbeddingSize} but the model has {info.EmbeddingSize}", param);
        if (vector.Layers[^1] >= info.LayerCount)
            throw Mismatch($"the vector has directions for layers up to {vector.Layers[^1]} but the model has layers 0-{info.LayerCount - 1}", param);
        if (vector.ModelHint is { } hint && !string.Equals(hint, info.Architecture, StringComparison.OrdinalIgnoreCase))
            throw Mismatch($"the vector's controlvector.model_hint is '{hint}' but the model's architecture is '{info.Architecture}'", param);
        return vector;
    }

    private static ClasParameters ReadClas(string path, SteeringVector vector)
    {
        try
        {
            return ClasParameters.Load(path, vector);
        }
        catch (ClasFormatException e)
        {
            throw new ApiException(422, $"The CLAS parameters do not fit the vector: {e.Problem}", "clas", "clas_mismatch");
        }
    }

    private static ApiException Mismatch(string problem, string param) =>
        new(422, $"The vector does not fit the loaded model: {problem}.", param, "vector_model_mismatch");

    private sealed record StoredMeta(string Name, long Created);
}
