namespace LlamaSteer.Cli;

/// <summary>The name error lines start with ("llamasteer: ..."); set once by <see cref="CommandLineApp"/>.</summary>
public static class ProgramName
{
    /// <summary>The running executable's name.</summary>
    public static string Current { get; internal set; } = "llamasteer";
}
