using LlamaSteer.Gguf;

namespace LlamaSteer.Vectors.Baking;

/// <summary>
/// The <c>llamasteer.baked.*</c> metadata of a model with vectors baked in: four arrays of equal length, one
/// entry per baked vector in the order they were baked (<c>names</c>, <c>fingerprints</c>, <c>strengths</c>,
/// <c>layers</c>). llama.cpp ignores the keys; <c>gguf-tools inspect</c> shows them. Stateless and thread-safe.
/// </summary>
public static class BakedRecord
{
    public const string Prefix = "llamasteer.baked.";
    public const string NamesKey = Prefix + "names";
    public const string FingerprintsKey = Prefix + "fingerprints";
    public const string StrengthsKey = Prefix + "strengths";
    public const string LayersKey = Prefix + "layers";

    /// <summary>The vectors baked into <paramref name="model"/>, oldest first; empty when none.</summary>
    /// <exception cref="GgufFormatException">The keys are present but not four arrays of the same length.</exception>
    public static IReadOnlyList<BakedVector> Read(GgufFile model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.Metadata.Keys.Any(k => k.StartsWith(Prefix, StringComparison.Ordinal))) return [];
        var names = model.GetStringArray(NamesKey);
        var fingerprints = model.GetStringArray(FingerprintsKey);
        var layers = model.GetStringArray(LayersKey);
        var strengths = model.Metadata.GetValueOrDefault(StrengthsKey)?.Value as float[];
        if (names is null || fingerprints is null || layers is null || strengths is null
            || fingerprints.Length != names.Length || layers.Length != names.Length || strengths.Length != names.Length)
            throw new GgufFormatException(model.FilePath,
                $"its {Prefix}* metadata is damaged ({NamesKey}, {FingerprintsKey} and {LayersKey} must be string arrays and {StrengthsKey} a float32 array, all of one length)");
        return names.Select((name, i) => new BakedVector(name, fingerprints[i], strengths[i], layers[i])).ToArray();
    }

    /// <summary>Sets the four arrays on <paramref name="writer"/> to <paramref name="vectors"/>, replacing what they held.</summary>
    public static void Write(GgufWriter writer, IReadOnlyList<BakedVector> vectors)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(vectors);
        writer.SetArray(NamesKey, vectors.Select(v => v.Name).ToArray());
        writer.SetArray(FingerprintsKey, vectors.Select(v => v.Fingerprint).ToArray());
        writer.SetArray(StrengthsKey, vectors.Select(v => v.Strength).ToArray());
        writer.SetArray(LayersKey, vectors.Select(v => v.Layers).ToArray());
    }
}
