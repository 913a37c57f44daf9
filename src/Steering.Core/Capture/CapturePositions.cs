namespace LlamaSteer.Capture;

/// <summary>Which token positions of a sample are read from the residual stream.</summary>
public enum CapturePositions
{
    /// <summary>The last token of the sample (one row per sample).</summary>
    LastToken,

    /// <summary>The mean over the completion's tokens (from the sample's completion start to its end; one row per sample).</summary>
    CompletionMean,

    /// <summary>Every token of the completion (one row per token).</summary>
    AllTokens,
}
