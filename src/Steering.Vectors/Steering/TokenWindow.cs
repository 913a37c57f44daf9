namespace LlamaSteer.Steering;

/// <summary>Which tokens of a sequence a term steers.</summary>
public enum WindowKind { All, Prompt, Generated, Positions }

/// <summary>
/// The tokens a term applies to: the prompt's, the generated ones, both, or explicit position ranges
/// [From, To) of the sequence.
/// </summary>
public sealed record TokenWindow(WindowKind Kind, IReadOnlyList<(int From, int To)>? Ranges = null)
{
    public static TokenWindow All { get; } = new(WindowKind.All);
    public static TokenWindow Prompt { get; } = new(WindowKind.Prompt);
    public static TokenWindow Generated { get; } = new(WindowKind.Generated);

    /// <summary>Explicit position ranges [from, to).</summary>
    public static TokenWindow At(params (int From, int To)[] ranges) => new(WindowKind.Positions, ranges);

    /// <summary>
    /// Whether the token at <paramref name="position"/> of a sequence whose prompt has <paramref name="promptLength"/> tokens is in
    /// the window. Allocation-free: the evaluation callback's planning asks this for every token of every decode.
    /// </summary>
    public bool Contains(int position, int promptLength)
    {
        switch (Kind)
        {
            case WindowKind.All: return true;
            case WindowKind.Prompt: return position < promptLength;
            case WindowKind.Generated: return position >= promptLength;
            default:
                var ranges = Ranges!;
                for (var r = 0; r < ranges.Count; r++)
                    if (position >= ranges[r].From && position < ranges[r].To) return true;
                return false;
        }
    }

    /// <exception cref="ArgumentException">Empty or inverted ranges, or ranges beyond the context.</exception>
    public void Validate(int contextSize)
    {
        if (Kind != WindowKind.Positions) return;
        if (Ranges is null || Ranges.Count == 0) throw new ArgumentException("A positions window needs at least one range.");
        foreach (var (from, to) in Ranges)
        {
            // Ranges are [from, to); the text a user wrote ("5-2") is inclusive, so messages show to - 1.
            if (from < 0 || to <= from) throw new ArgumentException($"Window range {from}-{to - 1} is empty or inverted.");
            if (from >= contextSize) throw new ArgumentException($"Window range {from}-{to - 1} starts beyond the context of {contextSize} tokens.");
        }
    }

    /// <summary>Parses "all", "prompt", "generated" or "positions:0-4,10-12".</summary>
    public static TokenWindow Parse(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t is "all" or "both") return All;
        if (t == "prompt") return Prompt;
        if (t == "generated") return Generated;
        if (t.StartsWith("positions:", StringComparison.Ordinal))
        {
            var ranges = t["positions:".Length..].Split(',').Select(r =>
            {
                var parts = r.Split('-');
                if (parts.Length is < 1 or > 2 || !int.TryParse(parts[0], out var a) || (parts.Length == 2 && !int.TryParse(parts[1], out _)))
                    throw new ArgumentException($"'{text}' is not a window: use all, prompt, generated or positions:0-4,10-12.");
                var b = parts.Length == 2 ? int.Parse(parts[1]) : a;
                if (b < a) throw new ArgumentException($"Window range {a}-{b} in '{text}' runs backwards.");
                return (a, b + 1);
            }).ToArray();
            return At(ranges);
        }
        throw new ArgumentException($"'{text}' is not a window: use all, prompt, generated or positions:0-4,10-12.");
    }

    public override string ToString() => Kind == WindowKind.Positions
        ? "positions:" + string.Join(",", Ranges!.Select(r => r.To == r.From + 1 ? $"{r.From}" : $"{r.From}-{r.To - 1}"))
        : Kind.ToString().ToLowerInvariant();
}
