using LlamaSteer.Errors;
using LlamaSteer.Gguf;

namespace LlamaSteer.Synthesis;

/// <summary>What synthetic model to write: its shape, the type of its matrices, the seed of its weights.</summary>
/// <param name="Shape">The dimensions; checked by <see cref="Validate"/>.</param>
public sealed record SyntheticModelSpec(ModelShape Shape)
{
    /// <summary>The types the 2-D weights (token embedding and output included) can have; norms are always F32.</summary>
    public static IReadOnlyList<GgmlType> WeightTypes { get; } = [GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0];

    /// <summary>The type of every 2-D weight. One of <see cref="WeightTypes"/>.</summary>
    public GgmlType WeightType { get; init; } = GgmlType.F32;

    /// <summary>Seeds every weight: the same seed and spec give the same file, byte for byte, on any machine.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>No output.weight: llama.cpp then uses the token embedding as the output matrix, as many small models do.</summary>
    public bool TiedEmbeddings { get; init; }

    /// <summary><c>general.name</c>; null: "synthetic " + the shape + " seed " + the seed.</summary>
    public string? Name { get; init; }

    /// <summary>The name written to the file.</summary>
    public string EffectiveName => Name ?? $"synthetic {Shape} seed {Seed}";

    /// <summary>Throws when the spec cannot become a model llama.cpp loads.</summary>
    /// <exception cref="ModelSynthesisException">The type is not one of <see cref="WeightTypes"/>, or the shape has problems (all are named).</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Shape);
        if (!WeightTypes.Contains(WeightType))
            throw new ModelSynthesisException(
                $"Weights of type {GgmlTypeInfo.Name(WeightType)} are not supported; use {string.Join(", ", WeightTypes.Select(GgmlTypeInfo.Name))}.");
        var problems = Shape.Problems(WeightType);
        if (problems.Count > 0) throw new ModelSynthesisException($"The shape ({Shape}) cannot be built: {string.Join("; ", problems)}.");
    }

    /// <summary>
    /// <c>general.file_type</c> (<c>enum llama_ftype</c> in llama.h): what the bulk of the weights is.
    /// </summary>
    internal uint FileType => WeightType switch
    {
        GgmlType.F32 => 0, // LLAMA_FTYPE_ALL_F32
        GgmlType.F16 => 1, // LLAMA_FTYPE_MOSTLY_F16
        GgmlType.Q4_0 => 2, // LLAMA_FTYPE_MOSTLY_Q4_0
        GgmlType.Q8_0 => 7, // LLAMA_FTYPE_MOSTLY_Q8_0
        _ => throw new InvalidOperationException($"No llama_ftype for {GgmlTypeInfo.Name(WeightType)}."),
    };
}
