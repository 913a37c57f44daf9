using System.Globalization;
using LlamaSteer.Gguf;
using LlamaSteer.Vectors;

namespace LlamaSteer.Steering.Contextual;

/// <summary>
/// Fitted CLAS parameters bound to the steering vector they were fitted for (by its
/// <see cref="Fingerprint"/>), and their file, kept beside the vector's: <c>happy.gguf</c> →
/// <c>happy.clas.gguf</c>. Immutable; thread-safe.
/// </summary>
/// <remarks>
/// File format (GGUF, written atomically): <c>general.architecture = "clas"</c>; <c>clas.n_embd</c> (uint32);
/// <c>clas.vector_sha256</c> (the vector's fingerprint); <c>clas.clip_min</c>, <c>clas.clip_max</c> (float32);
/// per layer N an F32 tensor <c>clas.w.N</c> of n_embd values and <c>clas.b.N</c> (float32); optionally
/// <c>clas.objective</c>, a description of the fit.
/// </remarks>
public sealed class ClasParameters
{
    public const string Architecture = "clas";
    private const string EmbdKey = "clas.n_embd";
    private const string FingerprintKey = "clas.vector_sha256";
    private const string ClipMinKey = "clas.clip_min";
    private const string ClipMaxKey = "clas.clip_max";
    private const string ObjectiveKey = "clas.objective";
    private const string WeightPrefix = "clas.w.";
    private const string BiasPrefix = "clas.b.";

    /// <param name="vectorFingerprint">The <see cref="Fingerprint"/> of the vector the parameters belong to.</param>
    public ClasParameters(LinearContextualStrength strength, string vectorFingerprint, string? objective = null)
    {
        ArgumentNullException.ThrowIfNull(strength);
        ArgumentException.ThrowIfNullOrWhiteSpace(vectorFingerprint);
        Strength = strength;
        VectorFingerprint = vectorFingerprint;
        Objective = objective;
    }

    /// <summary>The per-token coefficient, for <see cref="SteeringTerm.Contextual"/>.</summary>
    public LinearContextualStrength Strength { get; }

    /// <summary>The fingerprint of the vector these parameters were fitted for.</summary>
    public string VectorFingerprint { get; }

    /// <summary>How the parameters were fitted, in words (informational).</summary>
    public string? Objective { get; }

    /// <summary>Whether these parameters belong to <paramref name="vector"/>.</summary>
    public bool BelongsTo(SteeringVector vector) => Fingerprint(vector) == VectorFingerprint;

    /// <summary>The vector's <see cref="Vectors.VectorFingerprint"/>: any change to its directions or layer list changes it; provenance does not.</summary>
    public static string Fingerprint(SteeringVector vector) => Vectors.VectorFingerprint.Of(vector);

    /// <summary>Where a vector file's CLAS parameters live: <c>dir/happy.gguf</c> → <c>dir/happy.clas.gguf</c>.</summary>
    public static string PathBeside(string vectorPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(vectorPath);
        var dir = Path.GetDirectoryName(vectorPath) ?? "";
        return Path.Combine(dir, Path.GetFileNameWithoutExtension(vectorPath) + ".clas.gguf");
    }

    /// <summary>A term that steers with <paramref name="vector"/> at <paramref name="strength"/> × the CLAS coefficient.</summary>
    /// <exception cref="ArgumentException">The parameters belong to another vector.</exception>
    public SteeringTerm Term(SteeringVector vector, float strength = 1, LayerSet? layers = null, TokenWindow? window = null, string? name = null)
    {
        if (!BelongsTo(vector))
            throw new ArgumentException($"These CLAS parameters were fitted for another vector (fingerprint {VectorFingerprint[..12]}…, the vector's is {Fingerprint(vector)[..12]}…).");
        return new SteeringTerm(vector, strength, layers, SteeringOperator.Add, window) { Name = name, Contextual = Strength };
    }

    /// <summary>Writes the parameters atomically (temporary file, then rename).</summary>
    public void Save(string path)
    {
        var w = new GgufWriter()
            .SetString("general.architecture", Architecture)
            .SetUInt32(EmbdKey, (uint)Strength.EmbeddingSize)
            .SetString(FingerprintKey, VectorFingerprint)
            .SetFloat32(ClipMinKey, Strength.Min)
            .SetFloat32(ClipMaxKey, Strength.Max);
        if (Objective is not null) w.SetString(ObjectiveKey, Objective);
        foreach (var layer in Strength.Layers)
        {
            var key = layer.ToString(CultureInfo.InvariantCulture);
            w.SetFloat32(BiasPrefix + key, Strength.Bias(layer));
            w.AddTensor(WeightPrefix + key, Strength.Weights(layer), Strength.EmbeddingSize);
        }
        w.WriteTo(path);
    }

    /// <summary>Reads parameters and checks that they belong to <paramref name="vector"/>.</summary>
    /// <param name="layers">Layers that must have parameters; null: every layer of the vector.</param>
    /// <exception cref="ClasFormatException">
    /// The file is missing or malformed, or belongs to another vector (fingerprint), another n_embd, or lacks
    /// a layer; the message names the file.
    /// </exception>
    public static ClasParameters Load(string path, SteeringVector vector, LayerSet? layers = null)
    {
        ArgumentNullException.ThrowIfNull(vector);
        var p = Read(path);
        ClasFormatException Bad(string problem) => new(path, problem);
        if (p.Strength.EmbeddingSize != vector.EmbeddingSize)
            throw Bad($"the parameters are for n_embd {p.Strength.EmbeddingSize} but the vector has {vector.EmbeddingSize}: they belong to a vector of another model.");
        if (!p.BelongsTo(vector))
            throw Bad($"the parameters belong to another vector (fingerprint {p.VectorFingerprint} in the file, {Fingerprint(vector)} for the vector given): refit them for this vector.");
        var needed = layers is null ? vector.Layers : vector.Layers.Where(layers.Contains).ToArray();
        var missing = needed.Where(l => !p.Strength.HasLayer(l)).ToArray();
        if (missing.Length > 0)
            throw Bad($"no parameters for layer(s) {LayerSet.Of(missing)}, which the vector steers (the file has {string.Join(",", p.Strength.Layers)}).");
        return p;
    }

    /// <summary>Reads a parameter file without checking it against a vector.</summary>
    /// <exception cref="ClasFormatException">Missing or malformed.</exception>
    public static ClasParameters Read(string path)
    {
        GgufFile file;
        try
        {
            file = GgufFile.Read(path);
        }
        catch (GgufFormatException e)
        {
            throw new ClasFormatException(path, e.Problem, e);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ClasFormatException(path, "no such file.", e);
        }
        catch (IOException e)
        {
            throw new ClasFormatException(path, e.Message, e);
        }
        ClasFormatException Bad(string problem) => new(path, problem);
        try
        {
            if (file.Architecture != Architecture)
                throw Bad($"general.architecture is '{file.Architecture}', not '{Architecture}': this is not a CLAS parameter file.");
            var embd = file.GetUInt32(EmbdKey) ?? throw Bad($"no {EmbdKey}.");
            var fingerprint = file.GetString(FingerprintKey) ?? throw Bad($"no {FingerprintKey}.");
            var min = file.GetFloat(ClipMinKey) ?? throw Bad($"no {ClipMinKey}.");
            var max = file.GetFloat(ClipMaxKey) ?? throw Bad($"no {ClipMaxKey}.");
            var layers = new List<ClasLayer>();
            foreach (var t in file.Tensors)
            {
                if (!t.Name.StartsWith(WeightPrefix, StringComparison.Ordinal)
                    || !int.TryParse(t.Name.AsSpan(WeightPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var layer))
                    throw Bad($"tensor '{t.Name}' is not named {WeightPrefix}N.");
                if (t.Type != GgmlType.F32 || t.Dimensions.Count != 1 || t.Dimensions[0] != embd)
                    throw Bad($"tensor '{t.Name}' is not F32 [{embd}].");
                var bias = file.GetFloat(BiasPrefix + layer.ToString(CultureInfo.InvariantCulture)) ?? throw Bad($"no {BiasPrefix}{layer} for tensor '{t.Name}'.");
                layers.Add(new ClasLayer(layer, file.ReadTensorF32(t), bias));
            }
            if (layers.Count == 0) throw Bad("no layers (no clas.w.N tensors).");
            return new ClasParameters(new LinearContextualStrength((int)embd, layers, min, max), fingerprint, file.GetString(ObjectiveKey));
        }
        catch (GgufFormatException e)
        {
            throw new ClasFormatException(path, e.Problem, e);
        }
        catch (ArgumentException e)
        {
            throw new ClasFormatException(path, e.Message, e);
        }
    }
}
