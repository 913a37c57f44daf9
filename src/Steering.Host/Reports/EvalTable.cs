using System.Text;
using LlamaSteer.Evaluation;

namespace LlamaSteer.Host.Reports;

/// <summary>The eval summary as a plain-text table for the terminal, then the recommendation line.</summary>
internal static class EvalTable
{
    public static string Render(SweepReport report)
    {
        var (header, cells) = EvalColumns.Table(report);
        var widths = header.Select((h, i) => Math.Max(h.Length, cells.Max(r => r[i].Length))).ToArray();
        var sb = new StringBuilder();
        void Line(IReadOnlyList<string> parts) =>
            sb.AppendLine(string.Join("  ", parts.Select((p, i) => i < 3 ? p.PadRight(widths[i]) : p.PadLeft(widths[i]))).TrimEnd());
        Line(header);
        Line(widths.Select((w, i) => new string(header[i].Length > 0 ? '-' : ' ', w)).ToArray());
        foreach (var row in cells) Line(row);
        sb.AppendLine();
        sb.AppendLine(report.RecommendationText);
        return sb.ToString();
    }
}
