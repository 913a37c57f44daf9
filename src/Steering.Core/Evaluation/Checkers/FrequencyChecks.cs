using System.Text.RegularExpressions;

namespace LlamaSteer.Evaluation.Checkers;

/// <summary>"Do not use any commas" (IFEval punctuation:no_comma).</summary>
public sealed record NoCommaCheck : ITextCheck
{
    public string Name => "no-commas";

    public bool Passes(string text) => !text.Contains(',', StringComparison.Ordinal) && !text.Contains('，', StringComparison.Ordinal);
}

/// <summary>"The letter L should appear at least / less than N times" (IFEval letters:letter_frequency), case-insensitively.</summary>
public sealed record LetterFrequencyCheck(char Letter, CountRelation Relation) : ITextCheck
{
    public string Name => $"letter:{Letter}{Relation}";

    public bool Passes(string text) => Relation.Holds(text.Count(c => char.ToLowerInvariant(c) == char.ToLowerInvariant(Letter)));
}

/// <summary>"The word W should appear at least / less than N times" (IFEval keywords:frequency): whole words, case-insensitively.</summary>
public sealed record KeywordFrequencyCheck(string Keyword, CountRelation Relation) : ITextCheck
{
    public string Name => $"keyword:{Keyword}{Relation}";

    public bool Passes(string text) => Relation.Holds(WholeWord.Pattern(Keyword).Count(text));
}

/// <summary>"Do not include the words A, B in the response" (IFEval keywords:forbidden_words): none occurs as a whole word, case-insensitively.</summary>
public sealed record ForbiddenWordsCheck(IReadOnlyList<string> Words) : ITextCheck
{
    public string Name => "forbidden:" + string.Join(",", Words);

    public bool Passes(string text) => !Words.Any(w => WholeWord.Pattern(w).IsMatch(text));
}

/// <summary>
/// "Mention one of A, B, C": any of the words occurs where a word starts, case-insensitively (as
/// <see cref="Keywords"/> counts them). Not an IFEval check: the instruction sets for story models use it
/// ("mention an animal").
/// </summary>
public sealed record AnyOfCheck(IReadOnlyList<string> Words) : ITextCheck
{
    public string Name => "any-of:" + string.Join(",", Words);

    public bool Passes(string text) => new Keywords(Words).AnyIn(text);
}

internal static class WholeWord
{
    public static Regex Pattern(string word) =>
        new(@"(?<![\p{L}\p{N}_])" + Regex.Escape(word.Trim()) + @"(?![\p{L}\p{N}_])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
}
