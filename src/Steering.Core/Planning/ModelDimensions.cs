using LlamaSteer.Gguf;

namespace LlamaSteer.Planning;

/// <summary>The sizes of a model that memory depends on, read from GGUF metadata under <c>{architecture}.</c>.</summary>
internal sealed record ModelDimensions(
    int LayerCount,
    int EmbeddingSize,
    int HeadCount,
    int[] KvHeadCounts,
    int KeyLength,
    int ValueLength,
    int FeedForwardWidth,
    int VocabularySize)
{
    public long KeyWidth(int layer) => (long)KvHeadCounts[layer] * KeyLength;

    public long ValueWidth(int layer) => (long)KvHeadCounts[layer] * ValueLength;

    /// <exception cref="ArgumentException">A size the estimate needs is missing.</exception>
    public static ModelDimensions From(GgufFile file)
    {
        var arch = file.Architecture ?? throw new ArgumentException($"{file.FilePath} names no general.architecture.");
        int Required(string key) => (int)(MaxOf(file, $"{arch}.{key}") ?? throw new ArgumentException($"{file.FilePath} lacks {arch}.{key}, which the memory estimate needs."));
        var layers = Required("block_count");
        var embd = Required("embedding_length");
        var heads = Required("attention.head_count");
        var headDim = embd / Math.Max(1, heads);
        var kvHeads = PerLayer(file, $"{arch}.attention.head_count_kv", layers) ?? Enumerable.Repeat(heads, layers).ToArray();
        var keyLength = (int)(MaxOf(file, $"{arch}.attention.key_length") ?? headDim);
        var valueLength = (int)(MaxOf(file, $"{arch}.attention.value_length") ?? headDim);
        var ff = (int)(MaxOf(file, $"{arch}.feed_forward_length") ?? 4L * embd);
        var vocab = (int)(MaxOf(file, $"{arch}.vocab_size")
                          ?? file.FindTensor("token_embd.weight")?.Dimensions[1]
                          ?? throw new ArgumentException($"{file.FilePath} has no token_embd.weight, so its vocabulary size is unknown."));
        return new ModelDimensions(layers, embd, heads, kvHeads, keyLength, valueLength, ff, vocab);
    }

    // Sizes may be one number or one per layer (head_count_kv of models with mixed attention).
    private static long? MaxOf(GgufFile file, string key) =>
        file.Metadata.TryGetValue(key, out var v) ? Numbers(v).DefaultIfEmpty().Max() : null;

    private static int[]? PerLayer(GgufFile file, string key, int layers)
    {
        if (!file.Metadata.TryGetValue(key, out var v)) return null;
        var n = Numbers(v).Select(x => (int)x).ToArray();
        return n.Length == layers ? n : Enumerable.Repeat(n.DefaultIfEmpty().Max(), layers).ToArray();
    }

    private static IEnumerable<long> Numbers(GgufMetadataValue v) => v.Value switch
    {
        Array a => a.Cast<object>().Select(Convert.ToInt64),
        var x => [Convert.ToInt64(x, System.Globalization.CultureInfo.InvariantCulture)],
    };
}
