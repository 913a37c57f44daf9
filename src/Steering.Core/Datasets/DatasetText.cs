using System.Text;

namespace LlamaSteer.Datasets;

/// <summary>Splits a dataset file's bytes into numbered lines of strict UTF-8 text.</summary>
internal static class DatasetText
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public readonly record struct Line(int Number, string Text);

    /// <exception cref="DatasetFormatException">A line is not UTF-8 text.</exception>
    public static List<Line> Lines(byte[] bytes, string path)
    {
        var rest = bytes.AsSpan();
        if (rest.StartsWith(Encoding.UTF8.Preamble)) rest = rest[Encoding.UTF8.Preamble.Length..];
        var lines = new List<Line>();
        while (true)
        {
            var end = rest.IndexOf((byte)'\n');
            var raw = end < 0 ? rest : rest[..end];
            string text;
            try
            {
                text = Strict.GetString(raw);
            }
            catch (DecoderFallbackException e)
            {
                throw new DatasetFormatException(path, lines.Count + 1, "not UTF-8 text.", e);
            }
            lines.Add(new Line(lines.Count + 1, text.TrimEnd('\r')));
            if (end < 0) return lines;
            rest = rest[(end + 1)..];
        }
    }
}
