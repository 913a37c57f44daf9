using LlamaSteer.Errors;
using LlamaSteer.Gguf;

namespace LlamaSteer.Training.Graph;

/// <summary>
/// What the training graph needs to know of a llama-family model, read from its GGUF metadata under the architecture's
/// prefix (<c>llama.block_count</c>...). Immutable.
/// </summary>
public sealed record LlamaHyperparameters(
    string Architecture,
    int LayerCount,
    int EmbeddingSize,
    int HeadCount,
    int KvHeadCount,
    int HeadSize,
    int RopeDimensions,
    int RopeMode,
    float RopeFreqBase,
    float RopeFreqScale,
    int TrainedContextLength,
    float RmsEpsilon)
{
    /// <summary>ggml's rope modes (GGML_ROPE_TYPE_*): adjacent pairs for llama, halves for NeoX-style models.</summary>
    public const int RopeNormal = 0, RopeNeox = 2;

    // Architectures whose graph is this builder's (llama.cpp's llm_build_llama / llm_build_qwen2), with their rope mode.
    private static readonly Dictionary<string, int> Known = new(StringComparer.Ordinal)
    {
        ["llama"] = RopeNormal,
        ["qwen2"] = RopeNeox,
    };

    // Known architectures that use an op without a backward in ggml, and which one.
    private static readonly Dictionary<string, string> NoBackward = new(StringComparer.Ordinal)
    {
        ["gemma"] = "GELU feed-forward (GEGLU)",
        ["gemma2"] = "GELU feed-forward and tanh logit softcapping",
        ["gemma3"] = "GELU feed-forward (GEGLU)",
        ["gemma3n"] = "GELU feed-forward (GEGLU)",
        ["phi3"] = "fused SwiGLU",
        ["gpt2"] = "GELU and layer norm",
        ["gptneox"] = "GELU and layer norm",
        ["falcon"] = "GELU and layer norm",
        ["starcoder"] = "GELU and layer norm",
        ["phi2"] = "GELU and layer norm",
        ["bloom"] = "GELU and layer norm",
        ["qwen2moe"] = "expert routing (MUL_MAT_ID)",
        ["qwen3moe"] = "expert routing (MUL_MAT_ID)",
        ["llama4"] = "expert routing (MUL_MAT_ID)",
    };

    /// <summary>Reads the hyperparameters, refusing an architecture the builder does not know.</summary>
    /// <exception cref="ModelLoadException">An unknown architecture, one whose ops have no backward, or missing metadata.</exception>
    public static LlamaHyperparameters From(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var arch = file.Architecture ?? throw new ModelLoadException($"{file.FilePath} has no general.architecture.");
        if (NoBackward.TryGetValue(arch, out var op))
            throw new ModelLoadException($"architecture '{arch}' uses {op}, which has no backward pass in ggml; training needs it decomposed first.");
        if (!Known.TryGetValue(arch, out var ropeMode))
            throw new ModelLoadException($"architecture '{arch}' is not one the training graph builds (it builds {string.Join(", ", Known.Keys)}).");

        int Required(string key) => (int)(file.GetUInt32($"{arch}.{key}") ?? throw new ModelLoadException($"{file.FilePath} lacks {arch}.{key}."));
        var layers = Required("block_count");
        var embd = Required("embedding_length");
        var heads = Required("attention.head_count");
        var kvHeads = (int)(file.GetUInt32($"{arch}.attention.head_count_kv") ?? (uint)heads);
        if (heads < 1 || kvHeads < 1 || heads % kvHeads != 0)
            throw new ModelLoadException($"{file.FilePath}: {heads} heads cannot share {kvHeads} KV heads.");
        var headSize = (int)(file.GetUInt32($"{arch}.attention.key_length") ?? (uint)(embd / heads));
        var ropeDims = (int)(file.GetUInt32($"{arch}.rope.dimension_count") ?? (uint)headSize);
        var scale = file.GetFloat($"{arch}.rope.scaling.factor") is { } f && f > 0 && file.GetString($"{arch}.rope.scaling.type") is "linear" ? 1f / f : 1f;
        return new LlamaHyperparameters(arch, layers, embd, heads, kvHeads, headSize, ropeDims, ropeMode,
            file.GetFloat($"{arch}.rope.freq_base") ?? 10000f, scale,
            Required("context_length"),
            file.GetFloat($"{arch}.attention.layer_norm_rms_epsilon") ?? throw new ModelLoadException($"{file.FilePath} lacks {arch}.attention.layer_norm_rms_epsilon (not an RMS-norm model?)."));
    }
}
