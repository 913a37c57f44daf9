namespace LlamaSteer.Evaluation.Checkers;

/// <summary>
/// IFEval's loose mode around a strict check: the response passes when any of eight variants passes: the
/// response, without its first line, without its last line, without both (the "Sure, here it is:" and
/// "Hope this helps" lines chat models add), and each of those with every markdown emphasis asterisk removed.
/// Empty variants never pass. Immutable.
/// </summary>
public sealed record LooseCheck(ITextCheck Strict) : ITextCheck
{
    public string Name => "loose:" + Strict.Name;

    public bool Passes(string text) => Variants(text).Any(v => v.Trim().Length > 0 && Strict.Passes(v));

    /// <summary>The eight variants IFEval's loose evaluation tries (the four cuts, then the four with asterisks removed).</summary>
    public static IEnumerable<string> Variants(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n');
        string Join(IEnumerable<string> part) => string.Join("\n", part).Trim();
        var withoutFirst = Join(lines.Skip(1));
        var withoutLast = Join(lines.Take(lines.Length - 1));
        var withoutBoth = Join(lines.Skip(1).Take(lines.Length - 2));
        foreach (var v in new[] { text, withoutFirst, withoutLast, withoutBoth })
        {
            yield return v;
        }
        foreach (var v in new[] { text, withoutFirst, withoutLast, withoutBoth })
            yield return v.Replace("*", "", StringComparison.Ordinal);
    }
}
