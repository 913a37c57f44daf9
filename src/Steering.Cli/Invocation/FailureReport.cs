using LlamaSteer.Errors;
using LlamaSteer.Gguf;
using LlamaSteer.Native.Runtime;

namespace LlamaSteer.Cli;

/// <summary>
/// The one place that turns an exception into one line on stderr ("PROGRAM: PROBLEM") and an exit code:
/// cancellation is <see cref="ExitCodes.Cancelled"/>, invalid values (<see cref="ArgumentException"/>,
/// <see cref="FormatException"/>) the policy's usage code, everything else its failure code. Never prints a stack trace.
/// </summary>
public static class FailureReport
{
    /// <summary>Writes the line for <paramref name="exception"/> and returns the exit code.</summary>
    public static int Report(Exception exception, TextWriter error, ExitCodePolicy policy)
    {
        var (code, line) = Describe(exception, policy);
        error.WriteLine($"{ProgramName.Current}: {line}");
        return code;
    }

    /// <summary>The exit code and the one-line message for <paramref name="exception"/>.</summary>
    public static (int ExitCode, string Line) Describe(Exception exception, ExitCodePolicy policy) => exception switch
    {
        AggregateException { InnerExceptions.Count: 1 } a => Describe(a.InnerExceptions[0], policy),
        OperationCanceledException => (ExitCodes.Cancelled, "cancelled"),
        ArgumentException or FormatException => (policy.Usage, OneLine(WithoutParameterSuffix(exception.Message))),
        LlamaSteerException or NativeRuntimeException or NativeCallException or GgufFormatException
            or IOException or UnauthorizedAccessException or InvalidOperationException => (policy.Failure, OneLine(exception.Message)),
        OutOfMemoryException => (policy.Failure, "out of memory; try a smaller --context, fewer samples or a smaller model"),
        // A bug: still one line, naming the exception so that it can be reported.
        _ => (policy.Failure, $"unexpected {exception.GetType().Name}: {OneLine(exception.Message)}"),
    };

    private static string OneLine(string message) => string.Join(' ', message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    // ArgumentOutOfRangeException appends "(Parameter 'x')\nActual value was y." — keep the sentence a user needs.
    private static string WithoutParameterSuffix(string message)
    {
        var i = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return i > 0 ? message[..i] : message.Split('\n')[0];
    }
}
