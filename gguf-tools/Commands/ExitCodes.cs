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

    /// <summary>The command line parsed, but its values cannot be used (an unknown preset, a shape that does not divide); the same code as <see cref="InvalidFile"/>.</summary>
    public const int InvalidInput = 2;

    /// <summary>The llama.cpp runtime needed for the work is missing or of the wrong release.</summary>
    public const int RuntimeUnavailable = 3;

    /// <summary>Cancelled (Ctrl+C); 128 + SIGINT, as shells report it.</summary>
    public const int Cancelled = 130;
}
