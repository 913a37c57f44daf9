using System.Text.RegularExpressions;

namespace LlamaSteer.Evaluation.Checkers;

/// <summary>
/// "Your entire response should be in English, capital letters only" (IFEval change_case:english_capital,
/// which tests <c>isupper()</c>): at least one letter and no lower-case letter.
/// </summary>
public sealed record UppercaseCheck : ITextCheck
{
    public string Name => "uppercase";

    public bool Passes(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var letters = false;
        foreach (var c in text)
        {
            if (char.IsLower(c)) return false;
            letters |= char.IsLetter(c);
        }
        return letters;
    }
}

/// <summary>
/// "Words with all capital letters should appear at least / less than N times" (IFEval
/// change_case:capital_word_frequency): words of two or more letters, all of them upper case ("NASA", not "I").
/// </summary>
public sealed partial record CapitalWordCheck(CountRelation Relation) : ITextCheck
{
    public string Name => "capital-words:" + Relation;

    public bool Passes(string text) => Relation.Holds(Words().Matches(text).Count(m => m.Value.Any(char.IsLetter) && !m.Value.Any(char.IsLower) && m.Value.Count(char.IsLetter) >= 2));

    [GeneratedRegex(@"[\p{L}\p{N}]+(?:['’\-][\p{L}\p{N}]+)*")]
    private static partial Regex Words();
}
