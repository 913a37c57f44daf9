using LlamaSteer.Gguf;

namespace LlamaSteer.GgufTools.Commands;

/// <summary>
/// Turns the expected failures of reading an input file into one line on the error writer,
/// "gguf-tools: FILE: PROBLEM", and <see cref="ExitCodes.InvalidFile"/>, so a user never sees a stack trace
/// for a bad file. Anything else is a bug and propagates.
/// </summary>
internal static class FileProblems
{
    public static int Guard(string file, TextWriter error, Func<int> run)
    {
        try
        {
            return run();
        }
        catch (GgufFormatException e)
        {
            return Report(error, file, e.Problem);
        }
        catch (FileNotFoundException)
        {
            return Report(error, file, Directory.Exists(file) ? "is a folder, not a file" : "no such file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Report(error, file, e.Message);
        }
    }

    private static int Report(TextWriter error, string file, string problem)
    {
        error.WriteLine($"gguf-tools: {file}: {problem.ReplaceLineEndings(" ")}");
        return ExitCodes.InvalidFile;
    }
}
