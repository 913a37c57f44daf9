namespace LlamaSteer.Prompts;

/// <summary>One piece of a <see cref="Prompt"/>: text to tokenize, or a steering token fed as an input embedding.</summary>
public abstract record PromptPiece;

/// <summary>Text, tokenized without special tokens of its own (the prompt adds BOS once, at its start).</summary>
public sealed record TextPiece(string Text) : PromptPiece;

/// <summary>
/// A steering token: one input embedding row (n_embd floats) fed at its position instead of a token id. The row is
/// shared, not copied; callers do not change it while a prompt holding it runs.
/// </summary>
public sealed record EmbeddingPiece(string Name, float[] Row) : PromptPiece
{
    public override string ToString() => $"<{Name}>";
}
