using LlamaSteer.Gguf;

namespace LlamaSteer.Models;

/// <summary>
/// Conditions under which llama.cpp v0.5.0 asserts and aborts the whole process (rather than failing the load)
/// on a file that is valid GGUF, checked in managed code per architecture (keys are read under the file's own
/// <c>ARCH.</c> prefix). Each method returns the problem in words, or null. The asserts they mirror are cited
/// from that release's sources (src/llama-model.cpp, src/llama-vocab.cpp, ggml's norm operators).
/// </summary>
internal static class ModelFileRules
{
    /// <summary>LLAMA_MAX_LAYERS in src/llama-hparams.h.</summary>
    public const int MaxLayers = 512;

    /// <summary>LLAMA_MAX_EXPERTS in src/llama-hparams.h.</summary>
    public const int MaxExperts = 1024;

    /// <summary>Architectures without attention heads (state-space and RWKV models), where head counts may be 0.</summary>
    private static readonly HashSet<string> WithoutAttention = new(StringComparer.Ordinal)
    {
        "mamba", "mamba2", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7",
    };

    /// <summary>tokenizer.ggml.model values and the architectures they belong to (null: any); others are refused before llama.cpp sees them.</summary>
    private static readonly Dictionary<string, string[]?> Tokenizers = new(StringComparer.Ordinal)
    {
        ["llama"] = null, ["gpt2"] = null, ["no_vocab"] = null, ["none"] = null,
        ["rwkv"] = ["rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7"],
        ["plamo2"] = ["plamo2"],
        ["gemma4"] = ["gemma4"],
        // WPM (bert) and unigram (t5) tokenizers belong to encoder models, which LlamaSteer refuses anyway; in a
        // decoder's file llama.cpp asserts on the special tokens they need.
    };

    /// <summary>llama_rope_scaling_type_from_string's names.</summary>
    private static readonly HashSet<string> RopeScalingTypes = new(StringComparer.Ordinal) { "none", "linear", "yarn", "longrope" };

    public static string? Hyperparameters(GgufFile file, string arch)
    {
        // GGML_ASSERT(hparams.n_layer_all > 0 && hparams.n_layer_all <= LLAMA_MAX_LAYERS)
        var layers = file.GetUInt32($"{arch}.block_count");
        if (layers is null) return $"{arch}.block_count is missing";
        if (layers is 0 or > MaxLayers) return $"{arch}.block_count is {layers}; llama.cpp needs 1 to {MaxLayers} layers";
        if (file.GetUInt32($"{arch}.nextn_predict_layers") is { } nextn && nextn > layers)
            return $"{arch}.nextn_predict_layers ({nextn}) is more than {arch}.block_count ({layers})";

        var experts = file.GetUInt32($"{arch}.expert_count") ?? 0;
        if (experts > MaxExperts) return $"{arch}.expert_count is {experts}; llama.cpp allows at most {MaxExperts}";
        var used = file.GetUInt32($"{arch}.expert_used_count") ?? 0;
        if (used > experts) return $"{arch}.expert_used_count ({used}) is more than {arch}.expert_count ({experts})";
        if (experts > 0 && used == 0) return $"{arch}.expert_used_count is 0 in a model with {experts} experts";

        if (file.GetString($"{arch}.rope.scaling.type") is { } rope && !RopeScalingTypes.Contains(rope))
            return $"{arch}.rope.scaling.type is '{rope}'; llama.cpp knows {string.Join(", ", RopeScalingTypes)}";

        var embd = file.GetUInt32($"{arch}.embedding_length");
        if (embd is null or 0) return $"{arch}.embedding_length is {(embd is null ? "missing" : "0")}";
        if (!WithoutAttention.Contains(arch) && file.Metadata.TryGetValue($"{arch}.attention.head_count", out var headValue) && headValue.Value is not Array)
        {
            var heads = file.GetUInt32($"{arch}.attention.head_count")!.Value;
            if (heads == 0) return $"{arch}.attention.head_count is 0";
            var kvHeads = file.Metadata.TryGetValue($"{arch}.attention.head_count_kv", out var kv) && kv.Value is not Array
                ? file.GetUInt32($"{arch}.attention.head_count_kv")!.Value
                : heads;
            if (kvHeads == 0 || heads % kvHeads != 0) return $"{arch}.attention.head_count ({heads}) is not a multiple of head_count_kv ({kvHeads})";
            if (file.GetUInt32($"{arch}.attention.key_length") is null && embd % heads != 0)
                return $"{arch}.embedding_length ({embd}) is not a multiple of attention.head_count ({heads})";
        }

        // A NaN or negative epsilon passes the load and aborts in ggml's norm at the first decode.
        foreach (var key in new[] { $"{arch}.attention.layer_norm_rms_epsilon", $"{arch}.attention.layer_norm_epsilon" })
            if (file.GetFloat(key) is { } eps && !(eps >= 0 && float.IsFinite(eps)))
                return $"{key} is {eps}; it must be a finite number >= 0";
        return null;
    }

    public static string? Vocabulary(GgufFile file, string arch)
    {
        var model = file.GetString("tokenizer.ggml.model");
        if (model is null) return null; // llama.cpp refuses the load itself
        if (!Tokenizers.TryGetValue(model, out var architectures))
            return $"tokenizer.ggml.model is '{model}', which this llama.cpp cannot use for a '{arch}' model";
        if (architectures is not null && !architectures.Contains(arch))
            return $"tokenizer.ggml.model is '{model}', a tokenizer of {string.Join("/", architectures)} models, not of '{arch}'";
        if (model is "no_vocab" or "none") return null;

        // GGML_ASSERT(id_to_token.size() == token_to_id.size()): every token text must be unique.
        var tokens = file.GetStringArray("tokenizer.ggml.tokens");
        if (tokens is null) return null;
        if (tokens.Length == 0) return "tokenizer.ggml.tokens is empty";
        // llama.cpp reads each token as a C string: its text ends at the first NUL.
        var texts = tokens.Select(t => t.IndexOf('\0') is var nul and >= 0 ? t[..nul] : t).ToArray();
        if (texts.All(t => t.Length == 0)) return "every token text in tokenizer.ggml.tokens is empty";
        var seen = new Dictionary<string, int>(texts.Length, StringComparer.Ordinal);
        for (var i = 0; i < texts.Length; i++)
        {
            if (seen.TryAdd(texts[i], i)) continue;
            var how = texts[i].Length == tokens[i].Length && texts[seen[texts[i]]].Length == tokens[seen[texts[i]]].Length ? "" : " (llama.cpp reads a token up to its first NUL byte)";
            return $"tokens {seen[texts[i]]} and {i} of tokenizer.ggml.tokens have the same text '{Printable(texts[i])}'{how}; llama.cpp needs every token text once";
        }
        return null;
    }

    /// <summary>
    /// Norm weights must be F32: ggml's binary operators assert on an F16 one (output_norm.weight stored as F16).
    /// No weight may be an integer or F64 tensor: ggml has no matrix product for them and crashes (a weight
    /// retyped from F32 to I32 keeps its size and passes every other check).
    /// </summary>
    public static string? TensorTypes(GgufFile file)
    {
        foreach (var t in file.Tensors)
        {
            if (t.Type == GgmlType.F32) continue;
            var name = t.Name;
            if (t.Type is GgmlType.I8 or GgmlType.I16 or GgmlType.I32 or GgmlType.I64 or GgmlType.F64)
                return $"tensor '{name}' is {GgmlTypeInfo.Name(t.Type)}; llama.cpp computes with float and quantized weights only";
            if (name.EndsWith("norm.weight", StringComparison.Ordinal) || name.EndsWith("norm.bias", StringComparison.Ordinal))
                return $"tensor '{name}' is {GgmlTypeInfo.Name(t.Type)}; llama.cpp needs norm weights in F32";
        }
        return null;
    }

    private static string Printable(string text) => text.Length == 0 ? "" : text.Length > 20 ? text[..20] + "..." : text;
}
