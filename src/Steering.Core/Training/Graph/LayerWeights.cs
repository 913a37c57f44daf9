using LlamaSteer.Native.Graphs;

namespace LlamaSteer.Training.Graph;

/// <summary>The tensors of one transformer block, as llama.cpp names them in the GGUF (<c>blk.N.attn_q.weight</c>...). Optional biases are null references.</summary>
public sealed record LayerWeights(
    GgmlTensorRef AttentionNorm,
    GgmlTensorRef Query,
    GgmlTensorRef Key,
    GgmlTensorRef Value,
    GgmlTensorRef AttentionOutput,
    GgmlTensorRef QueryBias,
    GgmlTensorRef KeyBias,
    GgmlTensorRef ValueBias,
    GgmlTensorRef AttentionOutputBias,
    GgmlTensorRef FeedForwardNorm,
    GgmlTensorRef Gate,
    GgmlTensorRef Up,
    GgmlTensorRef Down,
    GgmlTensorRef DownBias);
