using System.CommandLine;
using LlamaSteer.Inference;
using LlamaSteer.Limits;
using LlamaSteer.Models;
using LlamaSteer.Native.Runtime;
using Microsoft.Extensions.Logging;

namespace LlamaSteer.Host.Cli;

/// <summary>Options every verb takes (--model, --threads, --gpu-layers, --native-dir, --verbose) and the model loading they drive.</summary>
internal sealed class CommonOptions
{
    public Option<string?> Model { get; } = new("--model", "-m")
    {
        Description = $"GGUF model file (default: ${DefaultModel.Variable}, else {DefaultModel.RelativePath})",
    };

    public Option<int?> Threads { get; } = new("--threads", "-t")
    {
        Description = $"CPU threads, at most the {ResourceLimits.Cores} cores of this machine (default: 1 for tiny models, else one per core)",
    };

    public Option<bool> ThreadsBeyondCores { get; } = new("--threads-beyond-cores")
    {
        Description = "Allow more --threads than cores (they busy-wait: usually much slower)",
    };

    public Option<bool> ContextBeyondTrained { get; } = new("--context-beyond-trained")
    {
        Description = "Allow a context longer than the model's trained context (its KV cache must still fit in 80% of the available memory)",
    };

    public Option<string> GpuLayers { get; } = GpuLayersOption.Create();

    public Option<string?> NativeDir { get; } = new("--native-dir")
    {
        Description = $"Folder with your own llama.cpp {NativeRuntime.ExpectedRelease} build (also ${NativeRuntimeOptions.LibraryDirectoryVariable})",
    };

    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Show llama.cpp's log",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Threads);
        command.Options.Add(GpuLayers);
        command.Options.Add(NativeDir);
        command.Options.Add(Verbose);
        command.Options.Add(ThreadsBeyondCores);
        command.Options.Add(ContextBeyondTrained);
        command.Validators.Add(r =>
        {
            // Only when --threads parsed: a repeated or malformed one already has its own error.
            if (r.GetResult(Threads) is not { Tokens.Count: 1 } threadsResult || threadsResult.Errors.Any()
                || !int.TryParse(threadsResult.Tokens[0].Value, System.Globalization.CultureInfo.InvariantCulture, out var threads)) return;
            try
            {
                ResourceLimits.CheckThreads(threads, r.GetResult(ThreadsBeyondCores) is not null && r.GetValue(ThreadsBeyondCores));
            }
            catch (ArgumentException e)
            {
                r.AddError(e.Message);
            }
        });
    }

    /// <summary>Configures the runtime from the options; must run before the first native call.</summary>
    public void ConfigureRuntime(ParseResult parse)
    {
        var verbose = parse.GetValue(Verbose);
        var factory = LoggerFactory.Create(b => b
            .AddSimpleConsole(o => { o.SingleLine = true; o.IncludeScopes = false; })
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            // Without --verbose llama.cpp's log stays quiet: a failed call's reason is part of our one error line.
            .SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.None));
        NativeRuntime.Configure(new NativeRuntimeOptions { LibraryDirectory = parse.GetValue(NativeDir), LoggerFactory = factory });
    }

    public string ModelPath(ParseResult parse) => parse.GetValue(Model) ?? DefaultModel.Resolve();

    public LlamaModel LoadModel(ParseResult parse, CancellationToken ct)
    {
        ConfigureRuntime(parse);
        var path = ModelPath(parse);
        var gpuLayers = GpuLayersOption.Resolve(parse.GetValue(GpuLayers)!, path, GpuLayersOption.PlannedContext);
        return LlamaModel.Load(path, new ModelOptions { GpuLayers = gpuLayers }, cancellationToken: ct);
    }

    public ContextOptions ContextOptions(ParseResult parse, int? contextSize = null, int maxSequences = 1, bool hooks = false) => new()
    {
        Threads = parse.GetValue(Threads),
        ContextSize = contextSize,
        MaxSequences = maxSequences,
        EnableGraphHooks = hooks,
        ContextBeyondTrained = parse.GetValue(ContextBeyondTrained),
    };
}
