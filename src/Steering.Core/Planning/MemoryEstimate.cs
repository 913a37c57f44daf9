using LlamaSteer.Gguf;

namespace LlamaSteer.Planning;

/// <summary>
/// What a model needs in memory before it is loaded, from its GGUF file alone, laid out the way llama.cpp places it:
/// the input layer (token embeddings) always on the CPU, the repeating layers <c>blk.N</c> with their KV cache, and the
/// output layer (final norm and output matrix), which is the first to go to a GPU. Sizes in bytes. Immutable.
/// </summary>
/// <param name="InputBytes">Weights that always stay on the CPU (token_embd and other tensors outside the layers).</param>
/// <param name="LayerWeightBytes">Weights of each repeating layer.</param>
/// <param name="LayerKvBytes">KV cache of each layer at the padded context (F16 keys and values, one unified stream).</param>
/// <param name="OutputBytes">The output layer's weights (the token embeddings again when the model ties them).</param>
/// <param name="ComputeBytes">Compute buffer of one device for one batch (an upper estimate: activations, attention, logits).</param>
/// <param name="OutputBufferBytes">Host buffer for logits of every sequence.</param>
/// <param name="SteeringBytes">Control-vector tensors (n_embd F32 per steered layer).</param>
/// <param name="PaddedContext">The context llama.cpp actually allocates (a multiple of 256).</param>
public sealed record MemoryEstimate(
    long InputBytes,
    IReadOnlyList<long> LayerWeightBytes,
    IReadOnlyList<long> LayerKvBytes,
    long OutputBytes,
    long ComputeBytes,
    long OutputBufferBytes,
    long SteeringBytes,
    int PaddedContext)
{
    /// <summary>Transformer layers (n_layer).</summary>
    public int LayerCount => LayerWeightBytes.Count;

    /// <summary>All weights, once each (as a CPU-only run maps them).</summary>
    public long WeightBytes => InputBytes + LayerWeightBytes.Sum() + (TiedOutput ? 0 : OutputBytes);

    /// <summary>KV cache of all layers.</summary>
    public long KvBytes => LayerKvBytes.Sum();

    /// <summary>Whether the output layer reuses the token embeddings (no <c>output.weight</c>).</summary>
    public bool TiedOutput { get; init; }

    /// <summary>Everything a run on the CPU alone needs.</summary>
    public long CpuOnlyBytes => WeightBytes + KvBytes + ComputeBytes + OutputBufferBytes + SteeringBytes;

    /// <summary>
    /// Bytes that go to the GPU with <paramref name="gpuLayers"/> offloaded (llama.cpp's -ngl: the output layer first,
    /// then the repeating layers from the last one down; a negative count offloads all). 0 needs nothing.
    /// </summary>
    public long GpuBytes(int gpuLayers)
    {
        var n = gpuLayers < 0 ? LayerCount + 1 : Math.Min(gpuLayers, LayerCount + 1);
        if (n == 0) return 0;
        long bytes = OutputBytes + ComputeBytes;
        var repeating = n - 1;
        for (var il = LayerCount - repeating; il < LayerCount; il++)
            bytes += LayerWeightBytes[il] + LayerKvBytes[il];
        if (SteeringBytes > 0) bytes += SteeringBytes * repeating / Math.Max(1, LayerCount);
        return bytes;
    }

    /// <summary>The most layers (0 .. n_layer + 1) whose <see cref="GpuBytes"/> fit in <paramref name="freeBytes"/> less <paramref name="headroomBytes"/>.</summary>
    public int LayersThatFit(long freeBytes, long headroomBytes)
    {
        var budget = freeBytes - headroomBytes;
        var best = 0;
        for (var n = 1; n <= LayerCount + 1; n++)
            if (GpuBytes(n) <= budget) best = n;
        return best;
    }

    /// <summary>Estimates a model file's needs for a request.</summary>
    /// <exception cref="GgufFormatException">The file is not a readable GGUF file.</exception>
    /// <exception cref="ArgumentException">The file lacks the sizes the estimate needs, or the request is invalid.</exception>
    public static MemoryEstimate For(string modelPath, MemoryRequest request) => For(GgufFile.Read(modelPath), request);

    /// <inheritdoc cref="For(string, MemoryRequest)"/>
    public static MemoryEstimate For(GgufFile file, MemoryRequest request)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var shape = ModelDimensions.From(file);
        var layerWeights = new long[shape.LayerCount];
        long input = 0, output = 0;
        foreach (var t in file.Tensors)
        {
            if (LayerOf(t.Name) is { } il && il < shape.LayerCount) layerWeights[il] += t.ByteSize;
            else if (t.Name.StartsWith("output", StringComparison.Ordinal)) output += t.ByteSize;
            else input += t.ByteSize;
        }
        var tied = file.FindTensor("output.weight") is null;
        if (tied) output += file.FindTensor("token_embd.weight")?.ByteSize ?? 0;

        var padded = checked((request.ContextSize + 255) / 256 * 256);
        var kv = new long[shape.LayerCount];
        for (var il = 0; il < shape.LayerCount; il++)
            kv[il] = (long)padded * (shape.KeyWidth(il) + shape.ValueWidth(il)) * sizeof(short);

        var ubatch = Math.Min(request.BatchSize, padded);
        // The graph allocator reuses memory, so the buffer holds the largest stage of one batch, not their sum: the
        // feed-forward block (gate, up and their product beside a few residual rows), attention (Q, K, V beside them) or
        // the logits (beside the final norm); plus the KQ mask over the whole context (F16, as llama.cpp's default flash
        // attention takes it). Without flash attention the KQ matrix would add n_head * context floats per token.
        // One more residual row than each stage strictly needs covers the small tensors around it (positions, output ids).
        long widest = Math.Max(shape.VocabularySize + 2L * shape.EmbeddingSize,
                      Math.Max(3L * shape.FeedForwardWidth + 5L * shape.EmbeddingSize,
                               5L * shape.EmbeddingSize + shape.KeyWidth(0) + shape.ValueWidth(0)));
        long compute = (long)ubatch * widest * sizeof(float) + (long)ubatch * padded * sizeof(short);
        long outputBuffer = (long)request.MaxSequences * shape.VocabularySize * sizeof(float);
        long steering = (long)request.SteeringLayers * shape.EmbeddingSize * sizeof(float);
        return new MemoryEstimate(input, layerWeights, kv, output, compute, outputBuffer, steering, padded) { TiedOutput = tied };
    }

    private static int? LayerOf(string tensorName)
    {
        if (!tensorName.StartsWith("blk.", StringComparison.Ordinal)) return null;
        var end = tensorName.IndexOf('.', 4);
        return end > 4 && int.TryParse(tensorName.AsSpan(4, end - 4), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var il) ? il : null;
    }
}
