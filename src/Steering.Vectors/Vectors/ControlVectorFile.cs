using System.Globalization;
using System.Text.Json;
using LlamaSteer.Gguf;

namespace LlamaSteer.Vectors;

/// <summary>
/// Reads and writes the GGUF control-vector format that llama.cpp's <c>--control-vector</c> and repeng use:
/// <c>general.architecture = "controlvector"</c>, <c>controlvector.model_hint</c>, <c>controlvector.layer_count</c>,
/// and one F32 1-D tensor <c>direction.N</c> (N &gt;= 1) of length n_embd per layer. llama.cpp adds
/// <c>direction.N</c> to the output of layer N (l_out-N); layer 0 cannot be expressed. LlamaSteer's own
/// metadata (method, dataset hash, model, options, calibration) lives under <c>llamasteer.</c>, which llama.cpp ignores.
/// </summary>
public static class ControlVectorFile
{
    public const string Architecture = "controlvector";
    public const string ModelHintKey = "controlvector.model_hint";
    public const string LayerCountKey = "controlvector.layer_count";
    private const string TensorPrefix = "direction.";
    private const string OwnPrefix = "llamasteer.";

    /// <summary>Directions whose norm exceeds this are rejected as implausible (corrupt or wrongly scaled).</summary>
    public const float MaxPlausibleNorm = 1e5f;

    /// <summary>Writes the vector atomically (temporary file, then rename); an existing file is replaced only on success.</summary>
    /// <exception cref="ArgumentException">The vector has a direction for layer 0, which the format cannot hold, or one that <see cref="Read(string, int?)"/> would refuse (not finite, norm above <see cref="MaxPlausibleNorm"/>).</exception>
    public static void Write(SteeringVector vector, string path)
    {
        if (vector.HasLayer(0))
            throw new ArgumentException("The control-vector format cannot hold layer 0 (llama.cpp never steers it); drop layer 0 or steer it with a LlamaSteer plan instead.");
        // Never write a file this reader (and so every verb) would then refuse.
        foreach (var layer in vector.Layers)
        {
            var direction = vector.Direction(layer);
            var norm = System.Numerics.Tensors.TensorPrimitives.Norm(direction);
            if (!float.IsFinite(norm) || norm > MaxPlausibleNorm)
                throw new ArgumentException($"The direction of layer {layer} would have norm {norm:G3}, beyond the {MaxPlausibleNorm:G3} a control-vector file may hold (every reader refuses such a file as corrupt); use a smaller factor or strength.");
        }
        var w = new GgufWriter()
            .SetString("general.architecture", Architecture)
            .SetString(ModelHintKey, vector.ModelHint ?? "llama")
            .SetInt32(LayerCountKey, vector.Layers.Count);
        var p = vector.Provenance;
        void Opt(string key, string? value) { if (value is not null) w.SetString(OwnPrefix + key, value); }
        Opt("method", p.Method);
        Opt("dataset", p.DatasetName);
        Opt("dataset_sha256", p.DatasetSha256);
        Opt("model_file", p.ModelFile);
        Opt("options", p.Options);
        Opt("created_utc", p.CreatedUtc);
        w.SetUInt32(OwnPrefix + "n_embd", (uint)vector.EmbeddingSize);
        if (p.Calibration.Count > 0)
            w.SetString(OwnPrefix + "calibration", JsonSerializer.Serialize(p.Calibration.ToDictionary(c => c.Key.ToString(CultureInfo.InvariantCulture), c => c.Value)));
        foreach (var layer in vector.Layers)
            w.AddTensor(TensorPrefix + layer.ToString(CultureInfo.InvariantCulture), vector.Direction(layer), vector.EmbeddingSize);
        w.WriteTo(path);
    }

    /// <summary>Reads and validates a control-vector file.</summary>
    /// <param name="expectedEmbeddingSize">When given, the file must match this n_embd (the model's).</param>
    /// <exception cref="ControlVectorFormatException">Anything wrong, named.</exception>
    public static SteeringVector Read(string path, int? expectedEmbeddingSize = null)
    {
        GgufFile file;
        try
        {
            file = GgufFile.Read(path);
        }
        catch (GgufFormatException e)
        {
            throw new ControlVectorFormatException(path, e.Problem, e);
        }
        catch (FileNotFoundException)
        {
            throw new ControlVectorFormatException(path, Directory.Exists(path) ? "is a folder, not a control-vector file" : "no such file");
        }
        catch (IOException e)
        {
            throw new ControlVectorFormatException(path, e.Message, e);
        }
        try
        {
            return Read(file, path, expectedEmbeddingSize);
        }
        catch (GgufFormatException e)
        {
            // A metadata value of the wrong type (general.architecture or the model hint not a string).
            throw new ControlVectorFormatException(path, e.Problem, e);
        }
    }

    private static SteeringVector Read(GgufFile file, string path, int? expectedEmbeddingSize)
    {
        ControlVectorFormatException Bad(string problem) => new(path, problem);

        var arch = file.Architecture;
        if (arch is not null && arch != Architecture)
            throw Bad($"general.architecture is '{arch}', not '{Architecture}': this is a model or another kind of GGUF file, not a control vector.");
        if (file.Tensors.Count == 0) throw Bad("no direction tensors.");

        var directions = new Dictionary<int, float[]>();
        int? embd = null;
        foreach (var t in file.Tensors)
        {
            if (!t.Name.StartsWith(TensorPrefix, StringComparison.Ordinal)
                || !int.TryParse(t.Name.AsSpan(TensorPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var layer))
                throw Bad($"tensor '{t.Name}' is not named direction.N.");
            if (layer == 0) throw Bad("tensor 'direction.0': llama.cpp numbers directions from 1 (direction.N steers the output of layer N); layer 0 cannot be steered through a control vector.");
            if (directions.ContainsKey(layer))
                throw Bad($"two tensors steer layer {layer} ('{t.Name}' and an earlier direction.{layer} spelled otherwise); llama.cpp would add them up. Keep one.");
            if (t.Type != GgmlType.F32) throw Bad($"tensor '{t.Name}' is {t.Type}; control vectors must be F32.");
            if (t.Dimensions.Count != 1 && t.Dimensions.Skip(1).Any(d => d != 1)) throw Bad($"tensor '{t.Name}' has shape [{string.Join(", ", t.Dimensions)}]; control vectors are 1-D.");
            var n = (int)t.Dimensions[0];
            if (embd is { } e && e != n) throw Bad($"tensor '{t.Name}' has {n} values but earlier directions have {e}.");
            embd = n;
            var data = file.ReadTensorF32(t);
            var bad = Array.FindIndex(data, v => !float.IsFinite(v));
            if (bad >= 0) throw Bad($"tensor '{t.Name}' has a non-finite value ({data[bad]}) at index {bad}.");
            var norm = System.Numerics.Tensors.TensorPrimitives.Norm(data);
            if (norm > MaxPlausibleNorm) throw Bad($"tensor '{t.Name}' has norm {norm:G3}, far beyond any residual stream; the file is corrupt or wrongly scaled.");
            directions[layer] = data;
        }
        if (expectedEmbeddingSize is { } want && embd != want)
            throw Bad($"directions have {embd} values but the model's n_embd is {want}: this vector was made for another model{(file.GetString(ModelHintKey) is { } hint ? $" (model hint '{hint}')" : "")}.");
        if (directions.Values.All(d => d.All(v => v == 0))) throw Bad("every direction is zero.");

        return new SteeringVector(embd!.Value, directions, file.GetString(ModelHintKey), ReadProvenance(file));
    }

    private static VectorProvenance ReadProvenance(GgufFile file)
    {
        string? S(string key) => file.Metadata.TryGetValue(OwnPrefix + key, out var v) ? v.Value as string : null;
        var calibration = new Dictionary<int, LayerCalibration>();
        if (S("calibration") is { } json)
        {
            try
            {
                foreach (var (k, v) in JsonSerializer.Deserialize<Dictionary<string, LayerCalibration>>(json) ?? [])
                    calibration[int.Parse(k, CultureInfo.InvariantCulture)] = v;
            }
            catch (Exception e) when (e is JsonException or FormatException or OverflowException)
            {
                // Calibration is informational; a damaged entry does not make the vector unusable.
            }
        }
        return new VectorProvenance
        {
            Method = S("method"),
            DatasetName = S("dataset"),
            DatasetSha256 = S("dataset_sha256"),
            ModelFile = S("model_file"),
            ModelEmbeddingSize = file.Metadata.TryGetValue(OwnPrefix + "n_embd", out var nEmbd) && nEmbd.Value is uint u ? (int)u : null,
            Options = S("options"),
            CreatedUtc = S("created_utc"),
            Calibration = calibration,
        };
    }
}
