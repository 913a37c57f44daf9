namespace LlamaSteer.Capture;

/// <summary>
/// One sample to run through the model: its tokens, and where its completion starts (tokens before
/// that are the shared prompt, read by <see cref="CapturePositions.CompletionMean"/> and
/// <see cref="CapturePositions.AllTokens"/> only from there on).
/// </summary>
public sealed record CaptureItem(int[] Tokens, int CompletionStart = 0)
{
    internal void Validate(int index)
    {
        if (Tokens.Length == 0) throw new ArgumentException($"Sample {index} has no tokens.");
        if (CompletionStart < 0 || CompletionStart >= Tokens.Length)
            throw new ArgumentException($"Sample {index}: the completion starts at token {CompletionStart} but the sample has {Tokens.Length} tokens.");
    }
}
