using System.Globalization;

namespace LlamaSteer.GgufTools.Cvec;

/// <summary>A control-vector file named on the command line, with its weight: <c>FILE</c> (weight 1) or <c>FILE:WEIGHT</c>.</summary>
internal sealed record VectorInput(string Path, float Weight)
{
    /// <summary>
    /// Splits at the last ':'. When what follows is not a number but looks like part of a path (a folder
    /// separator, as in C:\v.gguf) or the whole text names an existing file, the whole text is the path.
    /// </summary>
    /// <exception cref="UsageException">An unparsable, NaN or infinite weight.</exception>
    public static VectorInput Parse(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon < 0) return new VectorInput(text, 1);
        var weight = text[(colon + 1)..];
        if (TryParseNumber(weight, out _) || !(weight.Contains('/') || weight.Contains('\\') || File.Exists(text)))
            return new VectorInput(text[..colon], ParseNumber(weight, $"the weight of {text[..colon]}"));
        return new VectorInput(text, 1);
    }

    /// <summary>Parses a finite number in the invariant culture (0.5, -2, 1e-3).</summary>
    /// <exception cref="UsageException">Empty, not a number, NaN or infinite (also a number too large for a float).</exception>
    public static float ParseNumber(string text, string what)
    {
        if (!TryParseNumber(text, out var value))
            throw new UsageException(text.Length == 0
                ? $"{what} is empty; write a number such as 0.5 or -2."
                : $"{what} is '{text}', not a number; write one such as 0.5 or -2 (with a '.' for decimals).");
        if (!float.IsFinite(value))
            throw new UsageException($"{what} is '{text}', not a finite number.");
        return value;
    }

    private static bool TryParseNumber(string text, out float value) =>
        float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
}
