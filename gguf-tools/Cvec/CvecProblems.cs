using LlamaSteer.Errors;
using LlamaSteer.GgufTools.Commands;
using LlamaSteer.Native.Runtime;
using LlamaSteer.Vectors;

namespace LlamaSteer.GgufTools.Cvec;

/// <summary>The command line asks for something that cannot be done (a bad weight, an output over an input).</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// Turns the expected failures of a cvec command into one line on the error writer, "gguf-tools: ...":
/// <see cref="ExitCodes.Usage"/> for a wrong command line, <see cref="ExitCodes.InvalidFile"/> for inputs
/// that are missing, malformed or do not go together (different n_embd), a model that does not load,
/// and an output that cannot be written. Anything else is a bug and propagates.
/// </summary>
internal static class CvecProblems
{
    public static int Guard(TextWriter error, Func<int> run)
    {
        try
        {
            return run();
        }
        catch (UsageException e)
        {
            return Report(error, e.Message, ExitCodes.Usage);
        }
        catch (Exception e) when (e is ControlVectorFormatException or ModelLoadException or NativeRuntimeException or IOException or UnauthorizedAccessException)
        {
            return Report(error, e.Message, ExitCodes.InvalidFile);
        }
        catch (ArgumentException e)
        {
            // VectorComposer and ControlVectorFile.Write name the input and the problem.
            return Report(error, e.Message, ExitCodes.InvalidFile);
        }
    }

    public static void Warn(TextWriter error, string warning) => error.WriteLine($"gguf-tools: warning: {OneLine(warning)}");

    private static int Report(TextWriter error, string message, int exitCode)
    {
        error.WriteLine($"gguf-tools: {OneLine(message)}");
        return exitCode;
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
