using LlamaSteer.Gguf;
using LlamaSteer.Vectors;
using LlamaSteer.Vectors.Baking;

namespace LlamaSteer.GgufTools.Commands;

/// <summary>
/// Turns the expected failures of <c>gguf-tools bake</c> into one line on the error writer, "gguf-tools: ...":
/// <see cref="ExitCodes.InvalidInput"/> for values that cannot be used (a strength, layers, an output over an input),
/// <see cref="ExitCodes.InvalidFile"/> for files that are missing, malformed or do not go together (an architecture
/// without the bias, a vector for another model or already baked in), <see cref="ExitCodes.Cancelled"/> when cancelled.
/// Anything else is a bug and propagates.
/// </summary>
internal static class BakeProblems
{
    public static int Guard(TextWriter error, string output, Func<int> run)
    {
        try
        {
            return run();
        }
        catch (BakeException e)
        {
            return Report(error, e.Message, e.Problem == BakeProblem.InvalidValue ? ExitCodes.InvalidInput : ExitCodes.InvalidFile);
        }
        catch (ArgumentException e)
        {
            // VectorSpec.Parse: a strength or layer list that cannot be used; the message names the --vector.
            return Report(error, e.Message, ExitCodes.InvalidInput);
        }
        catch (Exception e) when (e is ControlVectorFormatException or GgufFormatException)
        {
            return Report(error, e.Message, ExitCodes.InvalidFile);
        }
        catch (FileNotFoundException e)
        {
            return Report(error, $"{e.FileName}: {(Directory.Exists(e.FileName) ? "is a folder, not a file" : "no such file")}", ExitCodes.InvalidFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Report(error, e.Message, ExitCodes.InvalidFile);
        }
        catch (OperationCanceledException)
        {
            return Report(error, $"cancelled; {output} was not written", ExitCodes.Cancelled);
        }
    }

    private static int Report(TextWriter error, string message, int exitCode)
    {
        error.WriteLine($"gguf-tools: {message.ReplaceLineEndings(" ")}");
        return exitCode;
    }
}
