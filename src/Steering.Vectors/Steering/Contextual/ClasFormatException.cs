using LlamaSteer.Errors;

namespace LlamaSteer.Steering.Contextual;

/// <summary>A CLAS parameter file is malformed or does not belong to the vector it is loaded with; the message names the file and the problem.</summary>
public sealed class ClasFormatException(string path, string problem, Exception? inner = null)
    : LlamaSteerException($"{path}: {problem}", inner)
{
    public string FilePath { get; } = path;
    public string Problem { get; } = problem;
}
