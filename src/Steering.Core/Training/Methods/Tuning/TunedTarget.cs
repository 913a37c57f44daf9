namespace LlamaSteer.Training.Methods.Tuning;

/// <summary>
/// One weight matrix being tuned: block <see cref="Layer"/>'s <see cref="Tensor"/> (a <c>BlockTensors</c> name), its
/// shape in ggml order ([inputs, outputs]: a row of <see cref="Inputs"/> values per output), and its values in the
/// model dequantized to F32 (the starting point). Immutable by convention: nothing writes <see cref="Frozen"/>.
/// </summary>
public sealed record TunedTarget(int Layer, string Tensor, long Inputs, long Outputs, float[] Frozen)
{
    /// <summary>The tensor's name in the GGUF file.</summary>
    public string GgufName => Graph.BlockTensors.GgufName(Layer, Tensor);
}
