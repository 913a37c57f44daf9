using LlamaSteer.Gguf;
using LlamaSteer.Native.SafeHandles;
using LlamaSteer.Training.Graph;
using LlamaSteer.Vectors;

namespace LlamaSteer.Training.Methods.Tuning;

/// <summary>
/// The refusals of a tuning run, all made before anything trains or is written: invalid values are
/// <see cref="ArgumentException"/>s, files that do not go together <see cref="TuningException"/>s; each message names the problem.
/// </summary>
public static class TuningChecks
{
    /// <summary>The output is none of the inputs, not a folder, and replaces an existing file only when allowed.</summary>
    public static void Output(string outputPath, IEnumerable<string> inputs, bool overwrite)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        var output = Path.GetFullPath(outputPath);
        foreach (var input in inputs)
            if (Path.GetFullPath(input) == output)
                throw new ArgumentException($"the output {outputPath} is the input {input}; write the tuned model to another file.");
        if (Directory.Exists(output)) throw new ArgumentException($"the output {outputPath} is a folder; name the file to write.");
        if (File.Exists(output) && !overwrite)
            throw new ArgumentException($"the output {outputPath} already exists; choose another name, or pass --force to replace it.");
    }

    /// <summary>The options are valid for the model and the vector: layers, tensors, rank, lambda and the output type.</summary>
    public static void Options(TuningOptions options, GgufFile model, LlamaHyperparameters hp, SteeringVector vector)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!float.IsFinite(options.Lambda) || options.Lambda < 0)
            throw new ArgumentException($"--lambda must be a finite number of at least 0, not {options.Lambda}.");
        if (!float.IsFinite(options.LearningRate) || options.LearningRate <= 0)
            throw new ArgumentException($"the learning rate must be a positive finite number, not {options.LearningRate}.");
        if (options.Epochs < 1) throw new ArgumentException($"--epochs must be at least 1, not {options.Epochs}.");
        if (options.GradientAccumulation < 1) throw new ArgumentException($"--accumulation must be at least 1, not {options.GradientAccumulation}.");
        if (vector.EmbeddingSize != hp.EmbeddingSize)
            throw new TuningException($"the vector has n_embd {vector.EmbeddingSize} but {model.FilePath} has {hp.EmbeddingSize}: it was made for another model.");
        if (vector.ModelHint is { } hint && hint != hp.Architecture)
            throw new TuningException($"the vector was made for a '{hint}' model (controlvector.model_hint) but {model.FilePath} is '{hp.Architecture}'.");
        if (options.Layers.Count == 0) throw new ArgumentException("choose at least one layer with --layers.");
        foreach (var layer in options.Layers)
        {
            if (layer < 0 || layer >= hp.LayerCount)
                throw new ArgumentException($"layer {layer} is outside {model.FilePath}, which has layers 0-{hp.LayerCount - 1}.");
            if (!vector.HasLayer(layer))
                throw new TuningException($"the vector has no direction for layer {layer} (it has {string.Join(",", vector.Layers)}): choose its layers with --layers.");
        }
        if (options.Tensors.Count == 0) throw new ArgumentException("choose at least one tensor with --tensors.");
        foreach (var tensor in options.Tensors)
            foreach (var layer in options.Layers)
                Tensor(options, model, layer, tensor);
    }

    private static void Tensor(TuningOptions options, GgufFile model, int layer, string tensor)
    {
        var name = BlockTensors.GgufName(layer, tensor);
        if (!BlockTensors.All.Contains(tensor) || model.FindTensor(name) is not { } info)
        {
            var what = model.FindTensor(name) is null ? $"{model.FilePath} has no tensor {name}" : $"{name} is not a block matrix";
            throw new ArgumentException($"{what}; --tensors takes {string.Join(", ", BlockTensors.All)}.");
        }
        if (options.Rank is { } rank)
        {
            var most = Math.Min(info.Dimensions[0], info.Dimensions[1]);
            if (rank < 1 || rank > most)
                throw new ArgumentException($"--rank {rank} is {(rank < 1 ? "below 1" : "larger than the tensor allows")}: {name} is {info.Shape}, so its rank is at most {most}.");
        }
        var type = WrittenType(info.Type, options.OutputType);
        if (type is GgmlType.F32) return;
        try
        {
            if (!Quantizer.CanQuantize((int)type)) throw new ArgumentException($"ggml cannot quantize to {GgmlTypeInfo.Name(type)} without an importance matrix.");
            Quantizer.RowSize((int)type, info.Dimensions[0]);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{name} cannot be written back as {GgmlTypeInfo.Name(type)} ({e.Message.TrimEnd('.')}); choose --type f32 or f16.", e);
        }
    }

    /// <summary>The type a tuned tensor of type <paramref name="original"/> is written in.</summary>
    public static GgmlType WrittenType(GgmlType original, TunedTensorType requested) => requested switch
    {
        TunedTensorType.F32 => GgmlType.F32,
        TunedTensorType.F16 => GgmlType.F16,
        _ => original,
    };
}
