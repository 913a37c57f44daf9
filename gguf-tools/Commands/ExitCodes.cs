namespace LlamaSteer.GgufTools.Commands;

/// <summary>What gguf-tools returns to the shell.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The command line was wrong (System.CommandLine's own code for parse errors).</summary>
    public const int Usage = 1;

    /// <summary>
    /// An input file is missing, unreadable or not valid GGUF (or not a valid control vector, or not one that
    /// goes with the others or with the model), the model does not load, or the output cannot be written.
    /// </summary>
    public const int InvalidFile = 2;
}
