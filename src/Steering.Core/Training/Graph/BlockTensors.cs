namespace LlamaSteer.Training.Graph;

/// <summary>
/// The weight matrices of a llama block that a graph multiplies its activations by, by their GGUF short names
/// (<c>blk.N.NAME.weight</c>), in the order the block uses them. Norm weights and biases are not among them.
/// </summary>
public static class BlockTensors
{
    public const string Query = "attn_q", Key = "attn_k", Value = "attn_v", AttentionOutput = "attn_output";
    public const string Gate = "ffn_gate", Up = "ffn_up", Down = "ffn_down";

    /// <summary>Every matrix name, in block order.</summary>
    public static IReadOnlyList<string> All { get; } = [Query, Key, Value, AttentionOutput, Gate, Up, Down];

    /// <summary>The GGUF name of block <paramref name="layer"/>'s <paramref name="tensor"/>: <c>blk.3.ffn_down.weight</c>.</summary>
    public static string GgufName(int layer, string tensor) => $"blk.{layer}.{tensor}.weight";
}
