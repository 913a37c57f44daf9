using LlamaSteer.Capture;

namespace LlamaSteer.Datasets;

/// <summary>
/// A dataset as one model's tokens: <see cref="Positives"/>[i] and <see cref="Negatives"/>[i] are the two
/// sides of <c>Dataset.Pairs[i]</c>, ready for <see cref="ActivationCapturer.Capture"/>. Each item's
/// CompletionStart is its first completion token (the whole text after BOS and chat markup for pairs
/// without a prompt; the last token for instruction pairs).
/// </summary>
public sealed record TokenizedDataset(ContrastiveDataset Dataset, IReadOnlyList<CaptureItem> Positives, IReadOnlyList<CaptureItem> Negatives);
