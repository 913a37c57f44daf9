using LlamaSteer.Errors;

namespace LlamaSteer.Vectors;

/// <summary>A control-vector file is malformed or does not fit the model; the message names the file and the problem.</summary>
public sealed class ControlVectorFormatException(string path, string problem, Exception? inner = null)
    : LlamaSteerException($"{path}: {problem}", inner)
{
    public string FilePath { get; } = path;
    public string Problem { get; } = problem;
}
