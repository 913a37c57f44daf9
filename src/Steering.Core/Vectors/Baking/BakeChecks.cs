using LlamaSteer.Gguf;
using LlamaSteer.Steering;

namespace LlamaSteer.Vectors.Baking;

/// <summary>The refusals of a bake, each a <see cref="BakeException"/> that names the problem; nothing is written before they pass.</summary>
internal static class BakeChecks
{
    /// <summary>The output must not be the model, and replaces an existing file only when allowed.</summary>
    public static void Output(string modelPath, string outputPath, BakeOptions options)
    {
        var output = Path.GetFullPath(outputPath);
        if (output == Path.GetFullPath(modelPath))
            throw new BakeException(BakeProblem.InvalidValue, $"the output {outputPath} is the model {modelPath}; write the baked copy to another file.");
        if (Directory.Exists(output))
            throw new BakeException(BakeProblem.InvalidValue, $"the output {outputPath} is a folder; name the file to write.");
        if (File.Exists(output) && !options.Overwrite)
            throw new BakeException(BakeProblem.InvalidValue, $"the output {outputPath} already exists; choose another name, or pass --overwrite to replace it.");
    }

    /// <summary>The model's architecture carries the bias; returns its n_embd and layer count.</summary>
    public static (int EmbeddingSize, int LayerCount) Model(GgufFile model)
    {
        if (BiasArchitectures.Problem(model) is { } problem) throw new BakeException(BakeProblem.UnsuitableFile, problem);
        var arch = model.Architecture!;
        var embd = model.GetInt64($"{arch}.embedding_length");
        var layers = model.GetInt64($"{arch}.block_count");
        if (embd is not (> 0 and <= int.MaxValue) || layers is not (> 0 and <= int.MaxValue))
            throw new BakeException(BakeProblem.UnsuitableFile, $"{model.FilePath} has no valid {arch}.embedding_length and {arch}.block_count; it is not a model llama.cpp would load.");
        return ((int)embd, (int)layers);
    }

    /// <summary>The term fits the model, and was not baked into it before (unless forced); returns the layers it biases.</summary>
    public static LayerSet Term(VectorTerm term, string fingerprint, GgufFile model, int embeddingSize, int layerCount,
        IReadOnlyList<BakedVector> alreadyBaked, BakeOptions options)
    {
        var name = term.Name ?? "a vector";
        var vector = term.Vector;
        var arch = model.Architecture!;
        if (!float.IsFinite(term.Strength))
            throw new BakeException(BakeProblem.InvalidValue, $"the strength of {name} is {term.Strength}, not a finite number.");
        if (vector.EmbeddingSize != embeddingSize)
            throw new BakeException(BakeProblem.UnsuitableFile,
                $"{name} has n_embd {vector.EmbeddingSize} but {model.FilePath} has {embeddingSize}: it was made for another model.");
        if (vector.ModelHint is { } hint && hint != arch && !options.Force)
            throw new BakeException(BakeProblem.UnsuitableFile,
                $"{name} was made for a '{hint}' model (controlvector.model_hint) but {model.FilePath} is '{arch}'; pass --force to bake it anyway.");
        if (term.Layers is { } chosen && chosen.Last >= layerCount)
            throw new BakeException(BakeProblem.InvalidValue, $"layers {chosen} of {name} are outside {model.FilePath}, which has layers 0-{layerCount - 1}.");
        var outside = vector.Layers.Where(l => l >= layerCount).ToArray();
        if (outside.Length > 0 && term.Layers is null)
            throw new BakeException(BakeProblem.UnsuitableFile,
                $"{name} has directions for layers {LayerSet.Of(outside)} but {model.FilePath} has layers 0-{layerCount - 1}: it was made for another model (choose layers with @LAYERS to bake the others).");
        var effective = term.EffectiveLayers.ToArray();
        if (effective.Length == 0)
            throw new BakeException(BakeProblem.InvalidValue, $"{name} has no direction on the chosen layers {term.Layers} (it has {LayerSet.Of(vector.Layers)}).");
        foreach (var layer in effective)
            if (BiasArchitectures.LayerProblem(model, layer) is { } problem)
                throw new BakeException(BakeProblem.InvalidValue, $"{name}: {problem}.");
        if (alreadyBaked.FirstOrDefault(b => b.Fingerprint == fingerprint) is { } earlier && !options.Force)
            throw new BakeException(BakeProblem.UnsuitableFile,
                $"{model.FilePath} already has {name} baked in (as {earlier.Name}, strength {earlier.Strength} on layers {earlier.Layers}); " +
                "baking it again would add it a second time; pass --force to do so.");
        return LayerSet.Of(effective);
    }

    /// <summary>The model's own bias at a layer, as floats, when it has one llama.cpp reads as a bias of n_embd values.</summary>
    public static float[]? ExistingBias(GgufFile model, string tensorName, int embeddingSize)
    {
        if (model.FindTensor(tensorName) is not { } bias) return null;
        if (bias.Type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16) || bias.ElementCount != embeddingSize || bias.Dimensions[0] != embeddingSize)
            throw new BakeException(BakeProblem.UnsuitableFile,
                $"{model.FilePath} has {tensorName} of type {GgmlTypeInfo.Name(bias.Type)} and shape {bias.Shape}; baking adds only to an f32, f16 or bf16 bias of [{embeddingSize}].");
        return model.ReadTensorF32(bias);
    }
}
