using System.CommandLine;
using System.CommandLine.Invocation;
using LlamaSteer.Cli.Cancellation;

namespace LlamaSteer.Cli;

/// <summary>
/// Runs a System.CommandLine root command the way both executables promise: a parse or validation error is one
/// line with a hint to <c>--help</c> and the policy's usage code; SIGINT, SIGTERM and SIGHUP cancel the token
/// every verb's action receives (<see cref="ProcessCancellation"/>); any exception that escapes a verb becomes one
/// line through <see cref="FailureReport"/>. New verbs need nothing more than <c>SetAction((parse, ct) => ...)</c>
/// and to honour <c>ct</c>.
/// </summary>
public static class CommandLineApp
{
    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code.</summary>
    public static async Task<int> RunAsync(RootCommand root, string[] args, string programName, ExitCodePolicy policy)
    {
        ProgramName.Current = programName;
        ParseResult parse;
        try
        {
            parse = root.Parse(args);
            if (parse.Errors.Count > 0 && parse.Action is null or ParseErrorAction)
            {
                Console.Error.WriteLine($"{programName}: {ParseErrorLine(parse)} (see '{HelpCommand(parse)}')");
                return policy.Usage;
            }
        }
        catch (Exception e)
        {
            // A validator that threw: still one line.
            return FailureReport.Report(e, Console.Error, policy);
        }

        using var cancellation = new ProcessCancellation();
        // System.CommandLine's own termination handling would exit 143 on SIGTERM after 2 s without running
        // the verb's cleanup; ours cancels the token and lets the verb finish its way.
        var configuration = new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false };
        try
        {
            return await parse.InvokeAsync(configuration, cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            return Cancelled();
        }
        catch (Exception e)
        {
            return FailureReport.Report(e, Console.Error, policy);
        }
    }

    private static int Cancelled()
    {
        Console.Error.WriteLine($"{ProgramName.Current}: cancelled");
        return ExitCodes.Cancelled;
    }

    /// <summary>The parse errors in one line (several joined by "; ").</summary>
    internal static string ParseErrorLine(ParseResult parse)
    {
        var messages = parse.Errors.Select(e => e.Message.ReplaceLineEndings(" ").TrimEnd('.')).Distinct().ToList();
        // "Unrecognized command 'x'" says more than the "Required command was not provided" that comes with it.
        if (messages.Count > 1) messages.RemoveAll(m => m.StartsWith("Required command was not provided", StringComparison.Ordinal));
        return string.Join("; ", messages) + ".";
    }

    private static string HelpCommand(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, result.Command.Name);
        names[0] = ProgramName.Current;
        return string.Join(' ', names) + " --help";
    }
}
