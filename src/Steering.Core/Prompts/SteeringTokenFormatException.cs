using LlamaSteer.Errors;

namespace LlamaSteer.Prompts;

/// <summary>A steering-token file that cannot be used: unreadable, malformed, or made for another model.</summary>
public sealed class SteeringTokenFormatException(string path, string problem, Exception? inner = null)
    : LlamaSteerException($"{path}: {problem}", inner);
