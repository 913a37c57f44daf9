using System.CommandLine;
using LlamaSteer.GgufTools.Commands;

var root = new RootCommand("gguf-tools: inspect and write GGUF model files (as llama.cpp v0.5.0 reads them).");
root.Subcommands.Add(InspectCommand.Create());
root.Subcommands.Add(CvecCommand.Create());
root.Subcommands.Add(SynthCommand.Create());
root.Subcommands.Add(BakeCommand.Create());
return root.Parse(args).Invoke();
