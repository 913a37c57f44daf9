using System.Diagnostics.CodeAnalysis;
using LlamaSteer.Gguf;
using LlamaSteer.Synthesis;

namespace LlamaSteer.GgufTools.Commands;

/// <summary>
/// The values of <c>gguf-tools synth</c>'s options as parsed, before they are checked: a preset, explicit
/// dimensions (each overriding the preset's), the type name and the rest. <see cref="TryResolve"/> turns them
/// into a <see cref="SyntheticModelSpec"/> or says in one sentence what is wrong.
/// </summary>
internal sealed record SynthRequest
{
    public string? Preset { get; init; }
    public int? EmbeddingSize { get; init; }
    public int? Layers { get; init; }
    public int? Heads { get; init; }
    public int? KvHeads { get; init; }
    public int? FeedForwardSize { get; init; }
    public int? Vocabulary { get; init; }
    public int? Context { get; init; }
    public string Type { get; init; } = DefaultType;
    public ulong Seed { get; init; } = 1;
    public bool TiedEmbeddings { get; init; }

    public const string DefaultType = "f32";

    private bool HasExplicitDimensions =>
        EmbeddingSize is not null || Layers is not null || Heads is not null || KvHeads is not null
        || FeedForwardSize is not null || Vocabulary is not null || Context is not null;

    /// <summary>The spec asked for (its shape not yet validated: the writer does that), or a problem.</summary>
    public bool TryResolve([NotNullWhen(true)] out SyntheticModelSpec? spec, [NotNullWhen(false)] out string? problem)
    {
        spec = null;
        var type = SyntheticModelSpec.WeightTypes.Where(t => string.Equals(GgmlTypeInfo.Name(t), Type, StringComparison.OrdinalIgnoreCase)).ToArray();
        if (type.Length == 0)
        {
            problem = $"unknown --type '{Type}'; use {string.Join(", ", SyntheticModelSpec.WeightTypes.Select(GgmlTypeInfo.Name))}";
            return false;
        }

        ModelShape shape;
        if (Preset is not null)
        {
            if (!ModelShape.Presets.TryGetValue(Preset, out var preset))
            {
                problem = $"unknown --preset '{Preset}'; use {string.Join(", ", ModelShape.Presets.Keys)}";
                return false;
            }
            shape = new ModelShape(
                EmbeddingSize ?? preset.EmbeddingSize, Layers ?? preset.LayerCount, Heads ?? preset.HeadCount,
                KvHeads ?? preset.KvHeadCount, FeedForwardSize ?? preset.FeedForwardSize, Vocabulary ?? preset.VocabularySize,
                Context ?? preset.ContextLength);
        }
        else
        {
            var missing = new (string Option, int? Value)[]
            {
                ("--n-embd", EmbeddingSize), ("--layers", Layers), ("--heads", Heads), ("--n-ff", FeedForwardSize), ("--vocab", Vocabulary),
            }.Where(o => o.Value is null).Select(o => o.Option).ToArray();
            if (missing.Length > 0)
            {
                problem = $"give --preset ({string.Join(", ", ModelShape.Presets.Keys)}) or the dimensions; missing {string.Join(", ", missing)}";
                return false;
            }
            shape = new ModelShape(EmbeddingSize!.Value, Layers!.Value, Heads!.Value, KvHeads ?? Heads.Value, FeedForwardSize!.Value, Vocabulary!.Value,
                Context ?? ModelShape.DefaultContextLength);
        }

        spec = new SyntheticModelSpec(shape)
        {
            WeightType = type[0],
            Seed = Seed,
            TiedEmbeddings = TiedEmbeddings,
            // A preset as it is keeps its short name; a changed one is described by its shape.
            Name = Preset is not null && !HasExplicitDimensions ? $"synthetic {Preset} seed {Seed}" : null,
        };
        problem = null;
        return true;
    }
}
