using System.CommandLine;
using LlamaSteer.Gguf;
using LlamaSteer.GgufTools.Inspect;

namespace LlamaSteer.GgufTools.Commands;

/// <summary><c>gguf-tools inspect FILE [--json] [--all]</c>: a GGUF file's header, metadata and tensor table.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "The GGUF file to inspect." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text." };
        var all = new Option<bool>("--all") { Description = "Print long strings and whole arrays instead of shortening them." };
        var command = new Command("inspect",
            "Print a GGUF file's version, layout, metadata and tensor table, with totals. Exits with 2 if the file is missing or not valid GGUF.");
        command.Arguments.Add(file);
        command.Options.Add(json);
        command.Options.Add(all);
        command.SetAction(parsed => Run(parsed.GetValue(file)!, parsed.GetValue(json), parsed.GetValue(all),
            parsed.InvocationConfiguration.Output, parsed.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>Runs the command; the writers are parameters so that tests can run it in-process.</summary>
    public static int Run(FileInfo file, bool json, bool all, TextWriter output, TextWriter error)
    {
        // FileInfo.ToString() is the path as the user typed it, which is how messages should name it.
        var path = file.ToString();
        return FileProblems.Guard(path, error, () =>
        {
            var gguf = GgufFile.Read(path);
            var limits = all ? InspectLimits.Unlimited : InspectLimits.Default;
            if (json)
                InspectJson.Write(gguf, limits, output);
            else
                InspectText.Write(gguf, limits, output);
            return ExitCodes.Success;
        });
    }
}
