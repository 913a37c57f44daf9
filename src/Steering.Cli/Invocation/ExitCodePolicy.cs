namespace LlamaSteer.Cli;

/// <summary>Which exit code an executable gives a wrong command line and a failure (they differ between <c>llamasteer</c> and <c>gguf-tools</c>, as each README says).</summary>
/// <param name="Usage">A parse or validation error, an invalid value.</param>
/// <param name="Failure">A file, runtime or model problem, or an unexpected exception.</param>
public sealed record ExitCodePolicy(int Usage, int Failure)
{
    /// <summary>llamasteer's: 2 for invalid values, 1 for files, runtime and model problems.</summary>
    public static ExitCodePolicy LlamaSteer { get; } = new(ExitCodes.Usage, ExitCodes.Failure);
}
