using System.Globalization;
using LlamaSteer.Errors;
using LlamaSteer.Gguf;
using LlamaSteer.Steering;

namespace LlamaSteer.Capture;

/// <summary>
/// Stores captured activations on disk as GGUF (one F32 tensor <c>activations.N</c> of shape
/// [n_embd, rows] per layer N, the row → sample map, and what they were captured from), so several
/// extraction methods can reuse one pass over a dataset. A cache only answers for the same key.
/// </summary>
public static class ActivationCache
{
    private const string Architecture = "llamasteer.activations";
    private const string KeyKey = "llamasteer.activations.key";
    private const string PositionsKey = "llamasteer.activations.positions";
    private const string RowSampleKey = "llamasteer.activations.row_sample";
    private const string TensorPrefix = "activations.";

    /// <summary>
    /// The identity of a capture: the exact token sequences (SHA-256), the model file (name, size, time),
    /// positions and layers. Two captures with the same key hold the same numbers.
    /// </summary>
    public static string Key(IReadOnlyList<CaptureItem> items, string modelPath, CapturePositions positions, LayerSet layers)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var item in items)
        {
            sha.AppendData(BitConverter.GetBytes(item.CompletionStart));
            sha.AppendData(BitConverter.GetBytes(item.Tokens.Length));
            sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(item.Tokens.AsSpan()));
        }
        var model = new FileInfo(modelPath);
        return string.Join('|', Convert.ToHexStringLower(sha.GetHashAndReset()), model.Name, model.Length.ToString(CultureInfo.InvariantCulture),
            model.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture), positions, layers);
    }

    /// <summary>Writes atomically.</summary>
    public static void Save(CapturedActivations activations, string key, string path)
    {
        var w = new GgufWriter()
            .SetString("general.architecture", Architecture)
            .SetString(KeyKey, key)
            .SetString(PositionsKey, activations.Positions.ToString())
            .SetArray(RowSampleKey, activations.RowSample);
        foreach (var layer in activations.Layers.Layers)
            w.AddTensor(TensorPrefix + layer.ToString(CultureInfo.InvariantCulture), activations.Layer(layer), activations.EmbeddingSize, activations.RowCount);
        w.WriteTo(path);
    }

    /// <summary>The cached activations when <paramref name="path"/> exists and was saved under <paramref name="key"/>; otherwise null.</summary>
    /// <exception cref="LlamaSteerException">The file exists but is not an activation cache or is damaged.</exception>
    public static CapturedActivations? TryLoad(string path, string key)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var f = GgufFile.Read(path);
            if (f.Architecture != Architecture) throw new LlamaSteerException($"{path} is not an activation cache (architecture '{f.Architecture}').");
            if (f.GetString(KeyKey) != key) return null;
            var positions = Enum.Parse<CapturePositions>(f.GetString(PositionsKey) ?? "");
            var rowSample = f.Metadata.TryGetValue(RowSampleKey, out var rs) && rs.Value is int[] a ? a : throw new LlamaSteerException($"{path}: no row map.");
            var rows = new Dictionary<int, float[]>();
            foreach (var t in f.Tensors)
            {
                if (!t.Name.StartsWith(TensorPrefix, StringComparison.Ordinal)) continue;
                rows[int.Parse(t.Name[TensorPrefix.Length..], CultureInfo.InvariantCulture)] = f.ReadTensorF32(t);
            }
            var embd = (int)f.Tensors[0].Dimensions[0];
            return new CapturedActivations(LayerSet.Of(rows.Keys), embd, rowSample, rows, positions);
        }
        catch (GgufFormatException e)
        {
            throw new LlamaSteerException($"Activation cache {e.Message}", e);
        }
    }
}
