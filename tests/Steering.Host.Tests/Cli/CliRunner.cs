using LlamaSteer.Testing;

namespace LlamaSteer.Host.Tests.Cli;

/// <summary>Runs the real <c>llamasteer</c> executable (built beside the tests) as a child process through <see cref="Executables"/>.</summary>
internal static class CliRunner
{
    public static ProcessResult Run(IEnumerable<string> args, IDictionary<string, string?>? environment = null, int timeoutSeconds = 120, string? dll = null) =>
        Executables.Dotnet(dll ?? Path.Combine(AppContext.BaseDirectory, "llamasteer.dll"), args, environment, timeoutSeconds);
}
