using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Graph;

namespace LlamaSteer.Training.Methods.Tuning;

/// <summary>
/// Reads a block matrix of the frozen model as F32 through ggml itself: get_rows of every row dequantizes exactly as
/// llama.cpp's kernels do, for F32, F16, BF16 and every quantized type. Stateless.
/// </summary>
public static class FrozenMatrices
{
    /// <summary>The frozen tensor of block <paramref name="layer"/>'s <paramref name="tensor"/>.</summary>
    /// <exception cref="ArgumentException">Not one of <see cref="BlockTensors.All"/>.</exception>
    public static GgmlTensorRef Find(ModelWeights weights, int layer, string tensor)
    {
        var w = weights.Layers[layer];
        return tensor switch
        {
            BlockTensors.Query => w.Query,
            BlockTensors.Key => w.Key,
            BlockTensors.Value => w.Value,
            BlockTensors.AttentionOutput => w.AttentionOutput,
            BlockTensors.Gate => w.Gate,
            BlockTensors.Up => w.Up,
            BlockTensors.Down => w.Down,
            _ => throw new ArgumentException($"{tensor} is not a block matrix; tunable tensors are {string.Join(", ", BlockTensors.All)}."),
        };
    }

    /// <summary>The matrix as a <see cref="TunedTarget"/>: its shape and its values in F32.</summary>
    public static TunedTarget Read(ModelWeights weights, GraphRunner runner, int layer, string tensor)
    {
        var frozen = Find(weights, layer, tensor);
        var (inputs, outputs) = (frozen.Dim(0), frozen.Dim(1));
        using var step = new GraphStep(8);
        var ids = step.Input(SafeGgmlContextHandle.I32, [outputs], "rows", t => t.Write(Enumerable.Range(0, (int)outputs).ToArray()));
        var rows = step.Output(step.Context.GetRows(frozen, ids));
        runner.Forward(step);
        return new TunedTarget(layer, tensor, inputs, outputs, rows.ReadFloats());
    }
}
