namespace LlamaSteer.Models;

/// <summary>What a loaded model is: read once at load, immutable.</summary>
public sealed record ModelInfo(
    string Path,
    string Architecture,
    string Description,
    string? Name,
    int LayerCount,
    int EmbeddingSize,
    int HeadCount,
    int KvHeadCount,
    int TrainedContextLength,
    int VocabularySize,
    ulong ParameterCount,
    ulong SizeBytes,
    string? ChatTemplate);
