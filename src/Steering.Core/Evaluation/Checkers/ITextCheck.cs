namespace LlamaSteer.Evaluation.Checkers;

/// <summary>
/// An IFEval-style verifiable instruction: a pure function saying whether a response follows it
/// (all lowercase, at most N words, includes a keyword, valid JSON, ...). Implementations are
/// immutable and thread-safe; <see cref="TextChecks.Parse"/> builds them from their command-line spelling.
/// </summary>
public interface ITextCheck
{
    /// <summary>The spelling it was parsed from ("max-words:50"), used as its name in reports.</summary>
    string Name { get; }

    bool Passes(string text);
}
