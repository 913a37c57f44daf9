using System.CommandLine;
using LlamaSteer.Cli;
using LlamaSteer.Host.Cli;

var root = new RootCommand("LlamaSteer: steer local GGUF models on llama.cpp with activation vectors");
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(QuickstartCommand.Create());
root.Subcommands.Add(ClasCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(TuneCommand.Create());
root.Subcommands.Add(TokensCommand.Create());
root.Subcommands.Add(GpuCompareCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
return await CommandLineApp.RunAsync(root, args, "llamasteer", ExitCodePolicy.LlamaSteer);
