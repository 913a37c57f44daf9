using LlamaSteer.Errors;

namespace LlamaSteer.Datasets;

/// <summary>
/// A dataset file (or a dataset seen through a model's tokenizer) is not usable. The message is
/// "FILE: PROBLEM" or "FILE: line N: PROBLEM"; <see cref="Problem"/> and <see cref="LineNumber"/> give
/// the parts, for callers that print the location themselves.
/// </summary>
public sealed class DatasetFormatException : LlamaSteerException
{
    /// <summary>Creates the exception for <paramref name="source"/> (a path, or a dataset's name), at <paramref name="lineNumber"/> when known.</summary>
    public DatasetFormatException(string source, int? lineNumber, string problem, Exception? inner = null)
        : base(lineNumber is { } n ? $"{source}: line {n}: {problem}" : $"{source}: {problem}", inner)
    {
        SourceName = source;
        LineNumber = lineNumber;
        Problem = problem;
    }

    /// <summary>The file (or the name of a dataset built in memory).</summary>
    public string SourceName { get; }

    /// <summary>The 1-based line the problem is on; null for problems of the whole file.</summary>
    public int? LineNumber { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }
}
