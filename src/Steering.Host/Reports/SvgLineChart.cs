using System.Globalization;
using System.Net;
using System.Text;

namespace LlamaSteer.Host.Reports;

/// <summary>One line of a chart: a name for the legend and its points in x order.</summary>
internal sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points);

/// <summary>A horizontal reference line (a bound, a baseline) with its label.</summary>
internal sealed record ChartReference(double Y, string Label);

/// <summary>
/// Hand-written SVG line charts: axes with round ticks, one coloured line with point markers per series,
/// a legend, optional dashed reference lines. Each point carries a native &lt;title&gt; tooltip; no script.
/// </summary>
internal static class SvgLineChart
{
    // Okabe-Ito: distinguishable with the common colour-vision deficiencies.
    private static readonly string[] Palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"];

    private const int Width = 560;
    private const int Height = 330;
    private const int Left = 62;
    private const int Right = 150;
    private const int Top = 34;
    private const int Bottom = 46;

    public static string Render(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series, IReadOnlyList<ChartReference>? references = null)
    {
        references ??= [];
        var points = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        var xs = points.Select(p => p.X).DefaultIfEmpty(0).ToList();
        var ys = points.Select(p => p.Y).Concat(references.Select(r => r.Y)).DefaultIfEmpty(0).ToList();
        var (x0, x1, xStep) = Axis(xs.Min(), xs.Max());
        var (y0, y1, yStep) = Axis(ys.Min(), ys.Max());
        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom;
        double X(double v) => Left + (v - x0) / (x1 - x0) * plotW;
        double Y(double v) => Top + plotH - (v - y0) / (y1 - y0) * plotH;

        var svg = new StringBuilder();
        svg.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{Esc(title)}\" font-family=\"sans-serif\" font-size=\"11\">"));
        svg.Append(Inv($"<text x=\"{Left}\" y=\"18\" font-size=\"13\" font-weight=\"bold\">{Esc(title)}</text>"));
        svg.Append(Inv($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"#fafafa\" stroke=\"#999\"/>"));
        for (var v = y0; v <= y1 + yStep / 2; v += yStep)
        {
            svg.Append(Inv($"<line x1=\"{Left}\" x2=\"{Left + plotW}\" y1=\"{Y(v):F1}\" y2=\"{Y(v):F1}\" stroke=\"#e3e3e3\"/>"));
            svg.Append(Inv($"<text x=\"{Left - 6}\" y=\"{Y(v) + 4:F1}\" text-anchor=\"end\">{Tick(v, yStep)}</text>"));
        }
        for (var v = x0; v <= x1 + xStep / 2; v += xStep)
        {
            svg.Append(Inv($"<line x1=\"{X(v):F1}\" x2=\"{X(v):F1}\" y1=\"{Top}\" y2=\"{Top + plotH}\" stroke=\"#e3e3e3\"/>"));
            svg.Append(Inv($"<text x=\"{X(v):F1}\" y=\"{Top + plotH + 16}\" text-anchor=\"middle\">{Tick(v, xStep)}</text>"));
        }
        svg.Append(Inv($"<text x=\"{Left + plotW / 2}\" y=\"{Height - 8}\" text-anchor=\"middle\">{Esc(xLabel)}</text>"));
        svg.Append(Inv($"<text transform=\"translate(14 {Top + plotH / 2}) rotate(-90)\" text-anchor=\"middle\">{Esc(yLabel)}</text>"));

        foreach (var r in references)
        {
            svg.Append(Inv($"<line x1=\"{Left}\" x2=\"{Left + plotW}\" y1=\"{Y(r.Y):F1}\" y2=\"{Y(r.Y):F1}\" stroke=\"#b00020\" stroke-dasharray=\"6 4\"/>"));
            svg.Append(Inv($"<text x=\"{Left + plotW - 4}\" y=\"{Y(r.Y) - 4:F1}\" text-anchor=\"end\" fill=\"#b00020\">{Esc(r.Label)}</text>"));
        }

        for (var i = 0; i < series.Count; i++)
        {
            var colour = Palette[i % Palette.Length];
            var pts = series[i].Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).OrderBy(p => p.X).ToList();
            if (pts.Count > 1)
                svg.Append(Inv($"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{string.Join(' ', pts.Select(p => Inv($"{X(p.X):F1},{Y(p.Y):F1}")))}\"/>"));
            foreach (var p in pts)
                svg.Append(Inv($"<circle cx=\"{X(p.X):F1}\" cy=\"{Y(p.Y):F1}\" r=\"3.5\" fill=\"{colour}\"><title>{Esc(series[i].Name)}: {p.X:G4} → {p.Y:G4}</title></circle>"));
            var ly = Top + 10 + i * 18;
            svg.Append(Inv($"<line x1=\"{Width - Right + 12}\" x2=\"{Width - Right + 32}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{colour}\" stroke-width=\"2\"/>"));
            svg.Append(Inv($"<circle cx=\"{Width - Right + 22}\" cy=\"{ly}\" r=\"3.5\" fill=\"{colour}\"/>"));
            svg.Append(Inv($"<text x=\"{Width - Right + 38}\" y=\"{ly + 4}\">{Esc(series[i].Name)}</text>"));
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>An axis from a round number to a round number with about five steps of 1, 2 or 5 times a power of ten.</summary>
    internal static (double Min, double Max, double Step) Axis(double min, double max)
    {
        if (max - min < 1e-9)
        {
            var pad = Math.Abs(min) > 1e-9 ? Math.Abs(min) * 0.1 : 1;
            (min, max) = (min - pad, max + pad);
        }
        var raw = (max - min) / 5;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1, 2, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw);
        return (Math.Floor(min / step) * step, Math.Ceiling(max / step) * step, step);
    }

    private static string Tick(double v, double step)
    {
        var decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
        return Math.Round(v, decimals).ToString("F" + decimals, CultureInfo.InvariantCulture);
    }

    private static string Esc(string s) => WebUtility.HtmlEncode(s);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
