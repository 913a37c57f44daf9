namespace LlamaSteer.Evaluation.Checkers;

/// <summary>
/// "Your entire response should be in lowercase letters": at least one letter and no upper-case or
/// title-case letter (IFEval's change_case:english_lowercase, which tests <c>islower()</c>).
/// </summary>
public sealed record LowercaseCheck : ITextCheck
{
    public string Name => "lowercase";

    public bool Passes(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var letters = false;
        foreach (var c in text)
        {
            if (char.IsUpper(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.TitlecaseLetter) return false;
            letters |= char.IsLetter(c);
        }
        return letters;
    }
}
