namespace LlamaSteer.Cli;

/// <summary>The exit codes the README promises for <c>llamasteer</c>.</summary>
public static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>A file, the runtime or the model is the problem (or an unexpected failure).</summary>
    public const int Failure = 1;

    /// <summary>An invalid value or command line.</summary>
    public const int Usage = 2;

    /// <summary>Cancelled by Ctrl+C, SIGTERM or SIGHUP (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;
}
