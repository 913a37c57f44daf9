using LlamaSteer.Gguf;

namespace LlamaSteer.GgufTools.Inspect;

/// <summary>Tensors, parameters and bytes of one type.</summary>
internal sealed record TypeTotals(GgmlType Type, int Tensors, long Parameters, long Bytes);

/// <summary>Sums over a file's tensor table, overall and per type (in type-id order).</summary>
internal sealed record TensorTotals(int Tensors, long Parameters, long Bytes, IReadOnlyList<TypeTotals> ByType)
{
    public static TensorTotals Of(GgufFile file) => new(
        file.Tensors.Count,
        file.Tensors.Sum(t => t.ElementCount),
        file.Tensors.Sum(t => t.ByteSize),
        file.Tensors.GroupBy(t => t.Type).OrderBy(g => g.Key)
            .Select(g => new TypeTotals(g.Key, g.Count(), g.Sum(t => t.ElementCount), g.Sum(t => t.ByteSize)))
            .ToArray());
}
