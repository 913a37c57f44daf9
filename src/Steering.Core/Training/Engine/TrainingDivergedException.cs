using LlamaSteer.Errors;

namespace LlamaSteer.Training.Engine;

/// <summary>A loss or gradient became NaN or infinite; the parameters were left at the last finite state.</summary>
public sealed class TrainingDivergedException(string message) : LlamaSteerException(message);
