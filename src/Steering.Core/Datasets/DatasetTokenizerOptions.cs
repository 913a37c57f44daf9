namespace LlamaSteer.Datasets;

/// <summary>How <see cref="DatasetTokenizer"/> turns a dataset into token sequences.</summary>
public sealed record DatasetTokenizerOptions
{
    /// <summary>
    /// Wrap each prompt (or each whole text, for pairs without a prompt) as a user message with the chat
    /// template; a completion follows as the assistant's text.
    /// </summary>
    public bool Chat { get; init; }

    /// <summary>With <see cref="Chat"/>: null for the model's own template, else Jinja text or a built-in name ("chatml", ...).</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>Longest token sequence accepted (BOS and chat markup included).</summary>
    public int MaxTokens { get; init; } = 512;

    internal void Validate()
    {
        if (MaxTokens < 2) throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "A sequence of at most one token cannot hold a prompt and a completion.");
        if (ChatTemplate is not null && !Chat) throw new ArgumentException("A chat template is only used with Chat = true.", nameof(ChatTemplate));
    }
}
