using LlamaSteer.Errors;
using LlamaSteer.Native.Runtime;

namespace LlamaSteer.Host.Cli;

/// <summary>Turns exceptions into one clear line on stderr and an exit code; never a stack trace for user errors.</summary>
internal static class ErrorReporter
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int Cancelled = 130;

    public static int Run(Func<int> action) => Report(() => Task.FromResult(action())).GetAwaiter().GetResult();

    public static async Task<int> Report(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("llamasteer: cancelled");
            return Cancelled;
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine($"llamasteer: {Clean(e.Message)}");
            return Usage;
        }
        catch (Exception e) when (e is LlamaSteerException or NativeRuntimeException or NativeCallException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            Console.Error.WriteLine($"llamasteer: {e.Message}");
            return Failure;
        }
    }

    // ArgumentOutOfRangeException appends "(Parameter 'x')\nActual value was y." — keep the first sentence a user needs.
    private static string Clean(string message)
    {
        var i = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message.Split('\n')[0];
    }
}
