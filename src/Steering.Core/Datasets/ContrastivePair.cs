namespace LlamaSteer.Datasets;

/// <summary>
/// One contrastive pair. With a <see cref="Prompt"/>, <see cref="Positive"/> and <see cref="Negative"/>
/// are completions that follow it (the text is prompt + completion, joined as written); without one
/// they are whole texts. <see cref="LineNumber"/> is the 1-based line of the source file (for
/// datasets built in memory, the 1-based index of the pair).
/// </summary>
public sealed record ContrastivePair(string? Prompt, string Positive, string Negative, int LineNumber);
