using LlamaSteer.Errors;

namespace LlamaSteer.Training.Methods.Tuning;

/// <summary>The files given to a tuning run do not go together (a vector made for another model); nothing was written.</summary>
public sealed class TuningException(string message) : LlamaSteerException(message);
