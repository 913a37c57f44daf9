using System.Text.RegularExpressions;

namespace LlamaSteer.Evaluation.Checkers;

/// <summary>
/// "There should be exactly N paragraphs, separated by the markdown divider ***" (IFEval
/// length_constraints:number_paragraphs): an empty paragraph fails, except an empty first or last one, which does not count.
/// </summary>
public sealed partial record ParagraphCountCheck(int Count) : ITextCheck
{
    public string Name => $"paragraphs:{Count}";

    public bool Passes(string text)
    {
        var parts = Divider().Split(text);
        var n = parts.Length;
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].Trim().Length > 0) continue;
            if (i == 0 || i == parts.Length - 1) n--;
            else return false;
        }
        return n == Count;
    }

    [GeneratedRegex(@"\s?\*\*\*\s?")]
    private static partial Regex Divider();
}

/// <summary>"Your answer must contain exactly N bullet points (* or -)" (IFEval detectable_format:number_bullet_lists).</summary>
public sealed partial record BulletCountCheck(int Count) : ITextCheck
{
    public string Name => $"bullets:{Count}";

    public bool Passes(string text) => StarBullet().Count(text) + DashBullet().Count(text) == Count;

    [GeneratedRegex(@"^\s*\*[^\*].*$", RegexOptions.Multiline)]
    private static partial Regex StarBullet();

    [GeneratedRegex(@"^\s*-.*$", RegexOptions.Multiline)]
    private static partial Regex DashBullet();
}

/// <summary>"Your response must have N sections, each marked with SECTION X" (IFEval detectable_format:multiple_sections): at least N.</summary>
public sealed record SectionCountCheck(int Count, string Splitter = "Section") : ITextCheck
{
    public string Name => Splitter == "Section" ? $"sections:{Count}" : $"sections:{Count}:{Splitter}";

    public bool Passes(string text) => new Regex(@"\s?" + Regex.Escape(Splitter) + @"\s?\d+\s?").Split(text).Length - 1 >= Count;
}

/// <summary>"Highlight at least N sections with markdown, i.e. *highlighted section*" (IFEval detectable_format:number_highlighted_sections).</summary>
public sealed partial record HighlightCountCheck(int Count) : ITextCheck
{
    public string Name => $"highlights:{Count}";

    public bool Passes(string text) =>
        Single().Matches(text).Concat(Double().Matches(text)).Count(m => m.Value.Trim('*').Trim().Length > 0) >= Count;

    [GeneratedRegex(@"\*[^\n\*]*\*")]
    private static partial Regex Single();

    [GeneratedRegex(@"\*\*[^\n\*]*\*\*")]
    private static partial Regex Double();
}

/// <summary>"Your answer must contain a title, wrapped in double angular brackets, such as &lt;&lt;poem of joy&gt;&gt;" (IFEval detectable_format:title).</summary>
public sealed partial record TitleCheck : ITextCheck
{
    public string Name => "title";

    public bool Passes(string text) => Title().Matches(text).Any(m => m.Value.TrimStart('<').TrimEnd('>').Trim().Length > 0);

    [GeneratedRegex(@"<<[^\n]+>>")]
    private static partial Regex Title();
}

/// <summary>"Wrap your entire response with double quotation marks" (IFEval startend:quotation).</summary>
public sealed record QuotationCheck : ITextCheck
{
    public string Name => "quotation";

    public bool Passes(string text)
    {
        var t = text.Trim();
        return t.Length > 1 && t[0] == '"' && t[^1] == '"';
    }
}

/// <summary>"The response must contain at least N placeholders in square brackets, such as [address]" (IFEval detectable_content:number_placeholders).</summary>
public sealed partial record PlaceholderCountCheck(int Count) : ITextCheck
{
    public string Name => $"placeholders:{Count}";

    public bool Passes(string text) => Placeholder().Count(text) >= Count;

    [GeneratedRegex(@"\[.*?\]")]
    private static partial Regex Placeholder();
}

/// <summary>
/// "At the end of your response, please explicitly add a postscript starting with P.S." (IFEval
/// detectable_content:postscript): the marker occurs, case-insensitively (IFEval searches the whole response); P.S. and P.P.S. allow
/// a space after each dot as IFEval does.
/// </summary>
public sealed record PostscriptCheck(string Marker = "P.S.") : ITextCheck
{
    public string Name => Marker == "P.S." ? "postscript" : "postscript:" + Marker;

    public bool Passes(string text)
    {
        var marker = Marker.Trim().ToLowerInvariant();
        var pattern = marker switch
        {
            "p.p.s" or "p.p.s." => @"\s*p\.\s?p\.\s?s.*$",
            "p.s." => @"\s*p\.\s?s\..*$",
            _ => @"\s*" + Regex.Escape(marker) + ".*$",
        };
        return Regex.IsMatch(text.ToLowerInvariant(), pattern, RegexOptions.Multiline);
    }
}
