using LlamaSteer.Gguf;
using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Graph;

namespace LlamaSteer.Core.Tests.Training;

/// <summary>Dequantizes through ggml itself: get_rows of a quantized matrix returns its rows as F32 (the values out_prod uses).</summary>
internal static class Dequantized
{
    /// <summary>The F32 values of a 2-D tensor of any type.</summary>
    public static float[] Rows(GgmlTensorRef matrix)
    {
        using var runner = new GraphRunner(1);
        using var step = new GraphStep(64);
        var rows = (int)matrix.Dim(1);
        var ids = step.Input(SafeGgmlContextHandle.I32, [rows], "ids", t => t.Write(Enumerable.Range(0, rows).ToArray()));
        var values = step.Output(step.Context.GetRows(matrix, ids));
        runner.Forward(step);
        return values.ReadFloats();
    }

    /// <summary>A copy of the model at <paramref name="path"/> with every quantized tensor stored as its F32 dequantization.</summary>
    public static string CopyModel(string path, string output)
    {
        var file = GgufFile.Read(path);
        using var tensors = GgufTensorFile.Load(path);
        var writer = GgufWriter.From(file);
        writer.SetUInt32("general.file_type", 0);
        foreach (var info in file.Tensors)
        {
            var dims = info.Dimensions.ToArray();
            if (info.Type is GgmlType.F32) writer.AddTensor(info.Name, file.ReadTensorF32(info), dims);
            else writer.AddTensor(info.Name, Rows(tensors.Find(info.Name)), dims);
        }
        writer.WriteTo(output);
        return output;
    }
}
