using System.CommandLine;
using LlamaSteer.Cli;
using LlamaSteer.GgufTools.Commands;

var root = new RootCommand("gguf-tools: inspect and write GGUF model files (as llama.cpp v0.5.0 reads them).");
root.Subcommands.Add(InspectCommand.Create());
root.Subcommands.Add(CvecCommand.Create());
root.Subcommands.Add(SynthCommand.Create());
root.Subcommands.Add(BakeCommand.Create());
root.Subcommands.Add(LlamaSteer.GgufTools.Fuzz.FuzzCommand.Create());
return await CommandLineApp.RunAsync(root, args, "gguf-tools", new ExitCodePolicy(LlamaSteer.GgufTools.Commands.ExitCodes.Usage, LlamaSteer.GgufTools.Commands.ExitCodes.InvalidFile));
