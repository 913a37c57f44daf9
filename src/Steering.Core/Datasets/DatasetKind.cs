namespace LlamaSteer.Datasets;

/// <summary>What the pairs of a <see cref="ContrastiveDataset"/> contrast.</summary>
public enum DatasetKind
{
    /// <summary>Positive and negative texts (or completions after a shared prompt) that differ in a concept.</summary>
    Contrastive,

    /// <summary>
    /// A prompt with an instruction (positive) against the same prompt without it (negative); the
    /// activations are read at the last token, where the model is about to answer.
    /// </summary>
    Instruction,
}
