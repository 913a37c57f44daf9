using System.Security.Cryptography;
using LlamaSteer.Gguf;

namespace LlamaSteer.Prompts;

/// <summary>
/// A small GGUF of named steering tokens for one model: tensor <c>token.NAME</c> (F32, n_embd) per token, and under
/// <c>llamasteer.tokens.</c> the model fingerprint (SHA-256 of its token embedding table, the space the rows live in),
/// n_embd, and per token its instruction, options and kind. Several tokens per file. Immutable; saving writes a new
/// file atomically (a temporary file renamed over the target), so a failed save leaves the old one as it was.
/// </summary>
public sealed class SteeringTokenFile
{
    private const string Prefix = "llamasteer.tokens.";
    private const string TensorPrefix = "token.";

    /// <exception cref="ArgumentException">No fingerprint, a width below 1, a row of another width or non-finite, or a name that repeats or is not a plain word.</exception>
    public SteeringTokenFile(string modelFingerprint, int embeddingSize, IEnumerable<SteeringToken> tokens)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelFingerprint);
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingSize, 1);
        ModelFingerprint = modelFingerprint;
        EmbeddingSize = embeddingSize;
        Tokens = tokens.ToArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in Tokens)
        {
            CheckName(t.Name);
            if (!seen.Add(t.Name)) throw new ArgumentException($"the token name '{t.Name}' repeats; each token in a file has its own name.");
            if (t.Row.Length != embeddingSize) throw new ArgumentException($"the token '{t.Name}' has {t.Row.Length} values, not n_embd {embeddingSize}.");
            if (t.Row.Any(v => !float.IsFinite(v))) throw new ArgumentException($"the token '{t.Name}' has a non-finite value.");
        }
    }

    /// <summary>SHA-256 (hex) of the token embedding table of the model the tokens belong to.</summary>
    public string ModelFingerprint { get; }

    public int EmbeddingSize { get; }

    public IReadOnlyList<SteeringToken> Tokens { get; }

    /// <summary>The token named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such token (the message lists the file's tokens).</exception>
    public SteeringToken Get(string name, string path = "the token file") =>
        Tokens.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"{path} has no token '{name}' (it has {(Tokens.Count == 0 ? "none" : string.Join(", ", Tokens.Select(t => t.Name)))}).");

    /// <summary>This file with <paramref name="token"/> added.</summary>
    /// <exception cref="ArgumentException">The name is taken.</exception>
    public SteeringTokenFile With(SteeringToken token) => new(ModelFingerprint, EmbeddingSize, [.. Tokens, token]);

    /// <summary>The fingerprint of the model at <paramref name="modelPath"/>: SHA-256 of its <c>token_embd.weight</c> bytes.</summary>
    /// <exception cref="SteeringTokenFormatException">The model file has no token embedding table.</exception>
    public static string Fingerprint(string modelPath)
    {
        var file = GgufFile.Read(modelPath);
        var table = file.FindTensor("token_embd.weight") ?? throw new SteeringTokenFormatException(modelPath, "has no token_embd.weight to fingerprint.");
        return Convert.ToHexStringLower(SHA256.HashData(file.ReadTensorBytes(table)));
    }

    /// <summary>Refuses a file made for another model.</summary>
    /// <exception cref="SteeringTokenFormatException">The fingerprint or width differs.</exception>
    public SteeringTokenFile CheckModel(string path, string modelFingerprint, int embeddingSize)
    {
        if (EmbeddingSize != embeddingSize || ModelFingerprint != modelFingerprint)
            throw new SteeringTokenFormatException(path, $"its tokens were made for another model (n_embd {EmbeddingSize}, fingerprint {ModelFingerprint[..12]}; this model: n_embd {embeddingSize}, {modelFingerprint[..12]}).");
        return this;
    }

    /// <exception cref="SteeringTokenFormatException">Not a readable GGUF, not a token file, or a malformed token.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static SteeringTokenFile Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such token file.", path);
        GgufFile file;
        try
        {
            file = GgufFile.Read(path);
        }
        catch (GgufFormatException e)
        {
            throw new SteeringTokenFormatException(path, $"not a readable GGUF file ({e.Problem}).", e);
        }
        var fingerprint = file.GetString(Prefix + "model_fingerprint") ?? throw new SteeringTokenFormatException(path, "not a steering-token file (no llamasteer.tokens.model_fingerprint).");
        var width = (int)(file.GetUInt32(Prefix + "n_embd") ?? throw new SteeringTokenFormatException(path, "has no llamasteer.tokens.n_embd."));
        var tokens = new List<SteeringToken>();
        foreach (var info in file.Tensors)
        {
            if (!info.Name.StartsWith(TensorPrefix, StringComparison.Ordinal)) continue;
            var name = info.Name[TensorPrefix.Length..];
            if (info.Type != GgmlType.F32 || info.ElementCount != width)
                throw new SteeringTokenFormatException(path, $"the token '{name}' is not {width} F32 values.");
            tokens.Add(new SteeringToken(name, file.ReadTensorF32(info), file.GetString($"{Prefix}{name}.instruction"),
                file.GetString($"{Prefix}{name}.options") ?? "", file.GetBool($"{Prefix}{name}.composition") ?? false));
        }
        try
        {
            return new SteeringTokenFile(fingerprint, width, tokens);
        }
        catch (ArgumentException e)
        {
            throw new SteeringTokenFormatException(path, e.Message, e);
        }
    }

    /// <summary>Writes the file (atomically: the target is replaced only by a complete file).</summary>
    public void Save(string path)
    {
        var writer = new GgufWriter();
        writer.SetString("general.type", "steering-tokens");
        writer.SetString(Prefix + "model_fingerprint", ModelFingerprint);
        writer.SetUInt32(Prefix + "n_embd", (uint)EmbeddingSize);
        foreach (var t in Tokens)
        {
            writer.AddTensor(TensorPrefix + t.Name, t.Row, EmbeddingSize);
            if (t.Instruction is { } instruction) writer.SetString($"{Prefix}{t.Name}.instruction", instruction);
            writer.SetString($"{Prefix}{t.Name}.options", t.Options);
            writer.SetBool($"{Prefix}{t.Name}.composition", t.IsComposition);
        }
        writer.WriteTo(path);
    }

    /// <exception cref="ArgumentException">The name is empty, too long, or has characters other than letters, digits, '-' and '_'.</exception>
    public static void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("a token name is empty.");
        if (name.Length > 40 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw new ArgumentException($"the token name '{name}' must be 1 to 40 letters, digits, '-' or '_'.");
    }
}
