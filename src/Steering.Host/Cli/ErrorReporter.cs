using LlamaSteer.Cli;

namespace LlamaSteer.Host.Cli;

/// <summary>Runs a verb's work and turns any exception into one clear line on stderr and an exit code (<see cref="FailureReport"/>); never a stack trace.</summary>
internal static class ErrorReporter
{
    public const int Ok = ExitCodes.Ok;
    public const int Failure = ExitCodes.Failure;
    public const int Usage = ExitCodes.Usage;
    public const int Cancelled = ExitCodes.Cancelled;

    public static int Run(Func<int> action) => Report(() => Task.FromResult(action())).GetAwaiter().GetResult();

    public static async Task<int> Report(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e)
        {
            return FailureReport.Report(e, Console.Error, ExitCodePolicy.LlamaSteer);
        }
    }
}
