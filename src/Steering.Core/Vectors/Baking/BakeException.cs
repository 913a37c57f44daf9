using LlamaSteer.Errors;

namespace LlamaSteer.Vectors.Baking;

/// <summary>What kind of problem stopped a bake, so a command line can choose its exit code.</summary>
public enum BakeProblem
{
    /// <summary>A value asked for cannot be used: layers the architecture cannot bias, an output that would replace an input.</summary>
    InvalidValue,

    /// <summary>The files do not go together: an architecture without the bias, a vector for another model, a vector already baked in.</summary>
    UnsuitableFile,
}

/// <summary>A bake was refused before anything was written; the message names the problem and what to do.</summary>
public sealed class BakeException(BakeProblem problem, string message) : LlamaSteerException(message)
{
    public BakeProblem Problem { get; } = problem;
}
