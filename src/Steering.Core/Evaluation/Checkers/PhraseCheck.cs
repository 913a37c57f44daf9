namespace LlamaSteer.Evaluation.Checkers;

/// <summary>
/// "Start / end your response with the exact phrase P" (IFEval startend:end_checker): the trimmed response
/// starts or ends with the trimmed phrase, compared case-insensitively as IFEval does.
/// </summary>
public sealed record PhraseCheck(string Phrase, bool AtStart) : ITextCheck
{
    public string Name => (AtStart ? "starts-with:" : "ends-with:") + Phrase;

    public bool Passes(string text)
    {
        var t = text.Trim();
        var p = Phrase.Trim();
        return AtStart ? t.StartsWith(p, StringComparison.OrdinalIgnoreCase) : t.EndsWith(p, StringComparison.OrdinalIgnoreCase);
    }
}
