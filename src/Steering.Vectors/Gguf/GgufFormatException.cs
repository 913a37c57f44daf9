namespace LlamaSteer.Gguf;

/// <summary>
/// A file is not a valid GGUF file (or not one llama.cpp v0.5.0 would load), or a metadata value has
/// a different type than asked for. <see cref="Exception.Message"/> is "FILE: PROBLEM";
/// <see cref="Problem"/> is the problem alone, for callers that print the file name themselves.
/// </summary>
public sealed class GgufFormatException : Exception
{
    /// <summary>Creates the exception for <paramref name="filePath"/>.</summary>
    public GgufFormatException(string filePath, string problem, Exception? innerException = null)
        : base($"{filePath}: {problem}", innerException)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The file that was being read.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }
}
