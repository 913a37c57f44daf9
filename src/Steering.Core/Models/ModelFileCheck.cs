using LlamaSteer.Errors;
using LlamaSteer.Gguf;

namespace LlamaSteer.Models;

/// <summary>
/// Checks a model file with the managed GGUF reader (header, metadata, tensor table, every tensor's
/// data range) and the conditions on which llama.cpp would abort the process (<see cref="ModelFileRules"/>:
/// layer and head counts, the tokenizer, norm epsilons and types) before llama.cpp sees it, so that a malformed
/// file never reaches native code.
/// </summary>
public static class ModelFileCheck
{
    /// <summary>Returns the architecture, or throws <see cref="ModelLoadException"/> naming the problem.</summary>
    public static string Validate(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ModelLoadException("No model path was given.");
        if (Directory.Exists(path)) throw new ModelLoadException($"{path} is a folder, not a GGUF model file.");
        if (!File.Exists(path)) throw new ModelLoadException($"Model file not found: {path}");
        GgufFile file;
        try
        {
            file = GgufFile.Read(path);
        }
        catch (GgufFormatException e)
        {
            throw new ModelLoadException($"{path} is not a usable GGUF model: {e.Problem}", e);
        }
        catch (IOException e)
        {
            throw new ModelLoadException($"Could not read {path}: {e.Message}", e);
        }
        try
        {
            var arch = file.Architecture
                ?? throw new ModelLoadException($"{path} has no general.architecture key; it is not a llama.cpp model.");
            if (SupportedArchitectures.Refused.TryGetValue(arch, out var why))
                throw new ModelLoadException($"{path} has architecture '{arch}': {why}.");
            if (!SupportedArchitectures.KnownToLlamaCpp.Contains(arch))
                throw new ModelLoadException($"{path} has architecture '{arch}', which llama.cpp v0.5.0 does not support.");
            if (file.Tensors.Count == 0)
                throw new ModelLoadException($"{path} has no tensors; it holds only metadata (a vocabulary-only file?).");
            // llama.cpp aborts the process (instead of failing the load) on these; say what is wrong first.
            if ((ModelFileRules.Hyperparameters(file, arch) ?? ModelFileRules.Vocabulary(file, arch) ?? ModelFileRules.TensorTypes(file)) is { } problem)
                throw new ModelLoadException($"{path} is not a usable {arch} model: {problem}.");
            return arch;
        }
        catch (GgufFormatException e)
        {
            // A metadata value of the wrong type (general.architecture that is not a string, a layer count that is a float).
            throw new ModelLoadException($"{path} is not a usable GGUF model: {e.Problem}", e);
        }
    }
}
