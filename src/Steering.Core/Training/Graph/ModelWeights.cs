using LlamaSteer.Errors;
using LlamaSteer.Gguf;
using LlamaSteer.Native.Graphs;
using LlamaSteer.Native.Runtime;

namespace LlamaSteer.Training.Graph;

/// <summary>
/// A model's weights as ggml tensors in plain host memory, read from its GGUF, with their shapes checked against the
/// hyperparameters (so building a graph never trips one of ggml's aborting asserts). Frozen: nothing trains them here.
/// Owns the tensors' context; the references in <see cref="Layers"/> are valid until disposal. Read-only after load, so
/// several graphs may read it, but graphs are computed one at a time by their runner.
/// </summary>
public sealed class ModelWeights : IDisposable
{
    private readonly SafeGgmlContextHandle _tensors;

    private ModelWeights(SafeGgmlContextHandle tensors, LlamaHyperparameters hp, GgmlTensorRef tokenEmbedding, GgmlTensorRef outputNorm,
        GgmlTensorRef output, GgmlTensorRef outputBias, GgmlTensorRef ropeFactors, IReadOnlyList<LayerWeights> layers, int vocab, int feedForward, long bytes)
    {
        _tensors = tensors;
        Hyperparameters = hp;
        TokenEmbedding = tokenEmbedding;
        OutputNorm = outputNorm;
        Output = output;
        OutputBias = outputBias;
        RopeFactors = ropeFactors;
        Layers = layers;
        VocabularySize = vocab;
        FeedForwardSize = feedForward;
        Bytes = bytes;
    }

    public LlamaHyperparameters Hyperparameters { get; }

    public GgmlTensorRef TokenEmbedding { get; }

    public GgmlTensorRef OutputNorm { get; }

    /// <summary>The output projection: <c>output.weight</c>, or the token embedding when the model ties them.</summary>
    public GgmlTensorRef Output { get; }

    /// <summary><c>output.bias</c> (some qwen2 files), or a null reference.</summary>
    public GgmlTensorRef OutputBias { get; }

    /// <summary><c>rope_freqs.weight</c> (Llama 3 style frequency factors), or a null reference.</summary>
    public GgmlTensorRef RopeFactors { get; }

    public IReadOnlyList<LayerWeights> Layers { get; }

    public int VocabularySize { get; }

    public int FeedForwardSize { get; }

    /// <summary>Bytes of tensor data held.</summary>
    public long Bytes { get; }

    /// <summary>Reads the model at <paramref name="path"/>.</summary>
    /// <exception cref="ModelLoadException">Not a llama-family model the graph builds, a missing tensor or a tensor of the wrong shape.</exception>
    public static ModelWeights Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        GgufFile file;
        try
        {
            file = GgufFile.Read(path);
        }
        catch (GgufFormatException e)
        {
            throw new ModelLoadException($"{path} is not a readable GGUF model: {e.Message}", e);
        }
        var hp = LlamaHyperparameters.From(file);
        if (file.Tensors.Any(t => t.Name.Contains("ffn_gate_inp", StringComparison.Ordinal)))
            throw new ModelLoadException($"{path} is a mixture-of-experts model; expert routing (MUL_MAT_ID) has no backward pass in ggml.");

        SafeGgmlContextHandle tensors;
        try
        {
            tensors = GgufTensorFile.Load(path);
        }
        catch (NativeCallException e)
        {
            throw new ModelLoadException(e.Message, e);
        }
        try
        {
            return Bind(tensors, hp, path);
        }
        catch
        {
            tensors.Dispose();
            throw;
        }
    }

    private static ModelWeights Bind(SafeGgmlContextHandle tensors, LlamaHyperparameters hp, string path)
    {
        GgmlTensorRef Optional(string name) => tensors.Find(name);
        GgmlTensorRef Required(string name, params long[] shape)
        {
            var t = tensors.Find(name);
            if (t.IsNull) throw new ModelLoadException($"{path} lacks the tensor {name}.");
            for (var d = 0; d < shape.Length; d++)
                if (t.Dim(d) != shape[d])
                    throw new ModelLoadException($"{path}: {name} is [{t.Dim(0)}, {t.Dim(1)}], expected [{string.Join(", ", shape)}].");
            return t;
        }
        GgmlTensorRef Bias(string name, long length)
        {
            var t = Optional(name);
            return t.IsNull ? t : Required(name, length);
        }

        var embd = hp.EmbeddingSize;
        var q = hp.HeadCount * hp.HeadSize;
        var kv = hp.KvHeadCount * hp.HeadSize;
        var tokenEmbedding = Required("token_embd.weight", embd);
        var vocab = (int)tokenEmbedding.Dim(1);
        var output = Optional("output.weight");
        output = output.IsNull ? tokenEmbedding : Required("output.weight", embd, vocab);
        var ff = (int)Required("blk.0.ffn_gate.weight", embd).Dim(1);
        var layers = new List<LayerWeights>();
        for (var il = 0; il < hp.LayerCount; il++)
        {
            var p = $"blk.{il}.";
            layers.Add(new LayerWeights(
                Required(p + "attn_norm.weight", embd),
                Required(p + "attn_q.weight", embd, q), Required(p + "attn_k.weight", embd, kv), Required(p + "attn_v.weight", embd, kv),
                Required(p + "attn_output.weight", q, embd),
                Bias(p + "attn_q.bias", q), Bias(p + "attn_k.bias", kv), Bias(p + "attn_v.bias", kv), Bias(p + "attn_output.bias", embd),
                Required(p + "ffn_norm.weight", embd),
                Required(p + "ffn_gate.weight", embd, ff), Required(p + "ffn_up.weight", embd, ff), Required(p + "ffn_down.weight", ff, embd),
                Bias(p + "ffn_down.bias", embd)));
        }
        var ropeFactors = Optional("rope_freqs.weight");
        if (!ropeFactors.IsNull) Required("rope_freqs.weight", hp.RopeDimensions / 2);
        var bytes = tensors.Tensors().Sum(t => t.ByteCount);
        return new ModelWeights(tensors, hp, tokenEmbedding, Required("output_norm.weight", embd), output, Bias("output.bias", vocab), ropeFactors, layers, vocab, ff, bytes);
    }

    public void Dispose() => _tensors.Dispose();
}
