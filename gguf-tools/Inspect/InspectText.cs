using System.Globalization;
using LlamaSteer.Gguf;

namespace LlamaSteer.GgufTools.Inspect;

/// <summary>inspect's human-readable report: layout, one line per metadata entry, the tensor table and totals.</summary>
internal static class InspectText
{
    public static void Write(GgufFile file, InspectLimits limits, TextWriter output)
    {
        output.WriteLine(file.FilePath);
        var layout = new TextTable(["", ""], leftAlignedColumns: 2);
        layout.Add("GGUF version", Number(file.Version));
        layout.Add("alignment", Number(file.Alignment));
        layout.Add("data offset", Number(file.DataOffset));
        layout.Add("file size", $"{Number(file.FileLength)} bytes");
        layout.WriteRows(output, "  ");

        output.WriteLine();
        output.WriteLine($"metadata ({Number(file.Metadata.Count)} entries)");
        foreach (var (key, value) in file.Metadata)
            output.WriteLine($"  {key} = {value.Format(limits.MaxStringLength, limits.MaxArrayItems)}");

        output.WriteLine();
        output.WriteLine($"tensors ({Number(file.Tensors.Count)})");
        var tensors = new TextTable(["name", "type", "shape", "offset", "bytes"], leftAlignedColumns: 3);
        foreach (var tensor in file.Tensors)
            tensors.Add(tensor.Name, GgmlTypeInfo.Name(tensor.Type), tensor.Shape, Number(tensor.Offset), Number(tensor.ByteSize));
        tensors.Write(output, "  ");

        var totals = TensorTotals.Of(file);
        output.WriteLine();
        output.WriteLine($"totals: {Number(totals.Tensors)} tensors, {Number(totals.Parameters)} parameters, {Number(totals.Bytes)} bytes");
        var byType = new TextTable(["type", "tensors", "parameters", "bytes"], leftAlignedColumns: 1);
        foreach (var type in totals.ByType)
            byType.Add(GgmlTypeInfo.Name(type.Type), Number(type.Tensors), Number(type.Parameters), Number(type.Bytes));
        byType.Write(output, "  ");
    }

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
