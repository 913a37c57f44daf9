namespace LlamaSteer.Vectors.Baking;

/// <summary>One layer's bias in a baked model.</summary>
/// <param name="Layer">The layer: its bias is <c>blk.Layer.ffn_down.bias</c>, which steers <c>l_out-Layer</c>.</param>
/// <param name="Created">True when the model had no bias there and the tensor was created; false when the vectors were added to the model's own bias.</param>
/// <param name="AddedNorm">The L2 norm of what was added (the strength-scaled directions summed).</param>
public sealed record BakedLayer(int Layer, bool Created, float AddedNorm);

/// <summary>What a bake wrote.</summary>
/// <param name="OutputPath">The file written.</param>
/// <param name="Layers">The biased layers, ascending.</param>
/// <param name="Record">Everything baked into the output so far (the model's earlier bakes first), as <see cref="BakedRecord"/> stores it.</param>
/// <param name="TensorCount">Tensors in the output.</param>
/// <param name="CopiedTensors">Tensors copied byte for byte from the model.</param>
/// <param name="FileLength">The output's size in bytes.</param>
public sealed record BakeResult(
    string OutputPath, IReadOnlyList<BakedLayer> Layers, IReadOnlyList<BakedVector> Record, int TensorCount, int CopiedTensors, long FileLength);

/// <summary>How far a bake's write has come: the 1-based index of the tensor just copied from the model, and its name.</summary>
public readonly record struct BakeProgress(int Tensor, string TensorName);
