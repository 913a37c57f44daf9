using LlamaSteer.Gguf;

namespace LlamaSteer.Synthesis;

/// <summary>
/// The dimensions of a llama-architecture transformer: what decides its speed and memory, whatever its weights.
/// A plain value; <see cref="Problems"/> says whether llama.cpp can build it. Immutable and thread-safe.
/// </summary>
/// <param name="EmbeddingSize">n_embd, the width of the residual stream.</param>
/// <param name="LayerCount">n_layer, the number of transformer blocks.</param>
/// <param name="HeadCount">Attention (query) heads; divides <paramref name="EmbeddingSize"/>.</param>
/// <param name="KvHeadCount">Key/value heads (grouped-query attention); divides <paramref name="HeadCount"/>.</param>
/// <param name="FeedForwardSize">n_ff, the width of the gated feed-forward layer.</param>
/// <param name="VocabularySize">n_vocab: rows of the token embedding and of the output matrix.</param>
/// <param name="ContextLength">The trained context length written to the metadata (a context's default size).</param>
public sealed record ModelShape(
    int EmbeddingSize,
    int LayerCount,
    int HeadCount,
    int KvHeadCount,
    int FeedForwardSize,
    int VocabularySize,
    int ContextLength = ModelShape.DefaultContextLength)
{
    public const int DefaultContextLength = 2048;

    /// <summary>LLAMA_MAX_LAYERS in llama-hparams.h: llama.cpp refuses more blocks.</summary>
    public const int MaxLayers = 512;

    /// <summary>
    /// Shapes of small released models, from their config.json on Hugging Face (hidden_size, num_hidden_layers,
    /// num_attention_heads, num_key_value_heads, intermediate_size, vocab_size); the context length is kept at
    /// <see cref="DefaultContextLength"/> so that a default context stays small.
    /// </summary>
    public static IReadOnlyDictionary<string, ModelShape> Presets { get; } = new Dictionary<string, ModelShape>(StringComparer.Ordinal)
    {
        ["smollm2-135m"] = new(576, 30, 9, 3, 1536, 49152), // HuggingFaceTB/SmolLM2-135M
        ["qwen2.5-0.5b"] = new(896, 24, 14, 2, 4864, 151936), // Qwen/Qwen2.5-0.5B
        ["llama-3.2-1b"] = new(2048, 16, 32, 8, 8192, 128256), // meta-llama/Llama-3.2-1B
    };

    /// <summary>Width of one attention head (n_embd / n_head), also the RoPE dimension count.</summary>
    public int HeadSize => HeadCount > 0 ? EmbeddingSize / HeadCount : 0;

    /// <summary>Width of the keys and of the values (head size * KV heads): columns of attn_k and attn_v.</summary>
    public int KvEmbeddingSize => HeadSize * KvHeadCount;

    /// <summary>
    /// Why llama.cpp could not run this shape with 2-D weights of <paramref name="weightType"/>, one sentence each, or
    /// nothing when it can. Quantized types need every row (n_embd and n_ff long) to be whole blocks.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The type is not a ggml type.</exception>
    public IReadOnlyList<string> Problems(GgmlType weightType)
    {
        var problems = new List<string>();
        void Positive(string what, int value)
        {
            if (value < 1) problems.Add($"{what} must be at least 1, not {value}");
        }
        Positive("n_embd", EmbeddingSize);
        Positive("the layer count", LayerCount);
        Positive("the head count", HeadCount);
        Positive("the KV head count", KvHeadCount);
        Positive("n_ff", FeedForwardSize);
        Positive("the vocabulary size", VocabularySize);
        Positive("the context length", ContextLength);
        if (problems.Count > 0) return problems;

        if (LayerCount > MaxLayers) problems.Add($"{LayerCount} layers is more than llama.cpp's limit of {MaxLayers}");
        if (EmbeddingSize % HeadCount != 0)
            problems.Add($"n_embd {EmbeddingSize} is not divisible by the head count {HeadCount}");
        else if (HeadSize % 2 != 0)
            problems.Add($"the head size n_embd / heads = {HeadSize} is odd; RoPE rotates pairs of values");
        if (HeadCount % KvHeadCount != 0)
            problems.Add($"the head count {HeadCount} is not divisible by the KV head count {KvHeadCount}");
        var blockSize = GgmlTypeInfo.BlockSize(weightType);
        if (EmbeddingSize % blockSize != 0)
            problems.Add($"n_embd {EmbeddingSize} is not a multiple of {blockSize}, the block size of {GgmlTypeInfo.Name(weightType)}");
        if (FeedForwardSize % blockSize != 0)
            problems.Add($"n_ff {FeedForwardSize} is not a multiple of {blockSize}, the block size of {GgmlTypeInfo.Name(weightType)}");
        return problems;
    }

    /// <summary>"n_embd 576, 30 layers, 9/3 heads, n_ff 1536, vocab 49152, context 2048".</summary>
    public override string ToString() =>
        $"n_embd {EmbeddingSize}, {LayerCount} layers, {HeadCount}/{KvHeadCount} heads, n_ff {FeedForwardSize}, vocab {VocabularySize}, context {ContextLength}";
}
