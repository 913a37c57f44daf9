namespace LlamaSteer.GgufTools.Inspect;

/// <summary>Rows of cells printed in aligned columns: text columns left-aligned, the rest (numbers) right-aligned.</summary>
internal sealed class TextTable(string[] headers, int leftAlignedColumns)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells) => _rows.Add(cells);

    /// <summary>The header line, then the rows.</summary>
    public void Write(TextWriter output, string indent)
    {
        var widths = Widths();
        WriteRow(output, indent, headers, widths);
        foreach (var row in _rows) WriteRow(output, indent, row, widths);
    }

    /// <summary>The rows alone, for label-value lists that need no header.</summary>
    public void WriteRows(TextWriter output, string indent)
    {
        var widths = Widths();
        foreach (var row in _rows) WriteRow(output, indent, row, widths);
    }

    private int[] Widths() => headers.Select((h, i) => _rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();

    private void WriteRow(TextWriter output, string indent, string[] cells, int[] widths)
    {
        var padded = cells.Select((cell, i) => i < leftAlignedColumns ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]));
        output.WriteLine(indent + string.Join("  ", padded).TrimEnd());
    }
}
