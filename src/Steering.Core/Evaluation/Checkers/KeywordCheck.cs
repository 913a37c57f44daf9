namespace LlamaSteer.Evaluation.Checkers;

/// <summary>
/// "Include the keyword K" / "Do not include K" (IFEval keywords:existence and keywords:forbidden_words),
/// matched as <see cref="Keywords"/> does: case-insensitively, at the start of a word.
/// </summary>
public sealed record KeywordCheck(string Keyword, bool Include) : ITextCheck
{
    public string Name => (Include ? "include:" : "exclude:") + Keyword;

    public bool Passes(string text) => (Keywords.Count(text, Keyword) > 0) == Include;
}
