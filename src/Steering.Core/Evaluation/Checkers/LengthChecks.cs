using System.Text.RegularExpressions;

namespace LlamaSteer.Evaluation.Checkers;

/// <summary>Counts words and sentences the way the length checks do.</summary>
public static partial class TextMeasures
{
    /// <summary>Runs of letters and digits, with inner apostrophes and hyphens ("don't", "well-known" are one word each).</summary>
    public static int Words(string text) => WordPattern().Count(text);

    /// <summary>Stretches of text holding a word, ended by . ! ? (runs like "?!" or "..." end one sentence) or by the end of the text.</summary>
    public static int Sentences(string text) =>
        SentenceEnd().Split(text).Count(part => WordPattern().IsMatch(part));

    [GeneratedRegex(@"[\p{L}\p{N}]+(?:['’\-][\p{L}\p{N}]+)*")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"[.!?]+(?=\s|$|[""'’”)\]])")]
    private static partial Regex SentenceEnd();
}

/// <summary>"Answer with at most / at least N words" (IFEval length_constraints:number_words); bounds are inclusive.</summary>
public sealed record WordCountCheck(int? Min, int? Max) : ITextCheck
{
    public string Name => Max is { } max ? $"max-words:{max}" : $"min-words:{Min}";

    public bool Passes(string text)
    {
        var n = TextMeasures.Words(text);
        return (Min is not { } min || n >= min) && (Max is not { } m || n <= m);
    }
}

/// <summary>"Answer in at most / at least N sentences" (IFEval length_constraints:number_sentences); bounds are inclusive.</summary>
public sealed record SentenceCountCheck(int? Min, int? Max) : ITextCheck
{
    public string Name => Max is { } max ? $"max-sentences:{max}" : $"min-sentences:{Min}";

    public bool Passes(string text)
    {
        var n = TextMeasures.Sentences(text);
        return (Min is not { } min || n >= min) && (Max is not { } m || n <= m);
    }
}
