namespace LlamaSteer.Models;

/// <summary>
/// The model architectures llama.cpp v0.5.0 knows (LLM_ARCH_NAMES in src/llama-arch.cpp of that
/// release), and the ones LlamaSteer refuses because they are no decoder-only text model.
/// </summary>
public static class SupportedArchitectures
{
    public static readonly IReadOnlySet<string> KnownToLlamaCpp = new HashSet<string>(StringComparer.Ordinal)
    {
        "llama", "llama4", "deci", "falcon", "grok", "gpt2", "gptj", "gptneox", "mpt", "baichuan", "starcoder", "refact",
        "bloom", "stablelm", "qwen", "qwen2", "qwen2moe", "qwen2vl", "qwen3", "qwen3moe", "qwen3next", "qwen3vl", "qwen3vlmoe",
        "qwen35", "qwen35moe", "qwen4exp", "phi2", "phi3", "phimoe", "plamo", "plamo2", "plamo3", "codeshell", "orion", "internlm2",
        "minicpm", "minicpm3", "gemma", "gemma2", "gemma3", "gemma3n", "gemma4", "starcoder2", "mamba", "mamba2", "maple", "jamba",
        "falcon-h1", "xverse", "command-r", "cohere2", "cohere2moe", "dbrx", "olmo", "olmo2", "olmoe", "muse-glimmer", "openelm",
        "arctic", "deepseek", "deepseek2", "deepseek32", "deepseek4", "chatglm", "glm4", "glm4moe", "glm-dsa", "bitnet", "jais",
        "jais2", "nemotron", "nemotron_h", "nemotron_h_moe", "exaone", "exaone4", "exaone-moe", "rwkv6", "rwkv6qwen2", "rwkv7",
        "arwkv7", "granite", "granitemoe", "granitehybrid", "graniteswitch", "granite_swa", "chameleon", "plm", "bailingmoe",
        "bailingmoe2", "bailingmoe3", "dots1", "dots3note", "arcee", "afmoe", "laguna", "ernie4_5", "ernie4_5-moe", "hunyuan-moe",
        "hunyuan-dense", "hunyuan_vl", "hy_v3", "hy_v4", "smollm3", "gpt-oss", "lfm2", "lfm2moe", "dream", "smallthinker", "llada",
        "llada-moe", "seed_oss", "grovemoe", "apertus", "minimax-01", "hrm_text", "minimax-m2", "minimax-m3", "cogvlm", "rnd1",
        "pangu-embedded", "mistral3", "mistral4", "mimo2", "step35", "spark2_5", "maincoder", "kimi-linear", "kimi-k3", "talkie",
        "mellum", "nanbeige",
    };

    /// <summary>Architectures llama.cpp loads but that are no text generator LlamaSteer can steer, with the reason.</summary>
    public static readonly IReadOnlyDictionary<string, string> Refused = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["controlvector"] = "a control-vector file, not a model; pass it with --vector",
        ["clip"] = "a vision projector (mmproj), not a language model",
        ["bert"] = "an encoder (embedding) model", ["modern-bert"] = "an encoder (embedding) model", ["nomic-bert"] = "an encoder (embedding) model",
        ["nomic-bert-moe"] = "an encoder (embedding) model", ["neo-bert"] = "an encoder (embedding) model", ["jina-bert-v2"] = "an encoder (embedding) model",
        ["jina-bert-v3"] = "an encoder (embedding) model", ["eurobert"] = "an encoder (embedding) model", ["gemma-embedding"] = "an embedding model",
        ["llama-embed"] = "an embedding model", ["t5"] = "an encoder-decoder model", ["t5encoder"] = "an encoder model",
        ["wavtokenizer-dec"] = "an audio decoder", ["eagle3"] = "a speculative-decoding draft head", ["dflash"] = "a speculative-decoding draft head",
        ["gemma4-assistant"] = "a speculative-decoding draft head", ["paddleocr"] = "an OCR model", ["deepseek2-ocr"] = "an OCR model",
    };
}
