using LlamaSteer.Host.Cli;
using LlamaSteer.Host.Serving.Registry;
using LlamaSteer.Host.Serving.Steering;
using LlamaSteer.Models;
using LlamaSteer.Native.Runtime;
using LlamaSteer.Serving;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlamaSteer.Host.Serving.Hosting;

/// <summary>
/// Loads the model once in the background (so <c>/health</c> answers 503 meanwhile), opens the registry and starts
/// the scheduler, then prints the address. At shutdown the scheduler stops taking requests, gives running ones
/// the grace period, and cancels the rest. A load failure stops the host with exit code 1.
/// </summary>
internal sealed class EngineLoader(
    IOptions<ServeOptions> options,
    ServingState state,
    IServer server,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggers) : IHostedService
{
    private readonly ILogger _logger = loggers.CreateLogger<EngineLoader>();
    private Task? _loading;

    /// <summary>Exit code for the process: 1 when the model or registry could not be loaded.</summary>
    public int ExitCode { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        _loading = Task.Run(async () =>
        {
            try
            {
                var engine = Load(options.Value, lifetime.ApplicationStopping);
                state.Ready(engine);
                await started.Task;
                var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "?";
                _logger.LogInformation("Serving {ModelId} on {Address} with {Slots} slots", engine.ModelId, address, engine.Scheduler.Options.Slots);
                Console.Out.WriteLine($"llamasteer: serving {engine.ModelId} on {address} ({engine.Scheduler.Options.Slots} slots, {engine.Scheduler.SlotContext} tokens each)");
                Console.Out.Flush();
            }
            catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
            {
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                state.Fail(e.Message);
                Console.Error.WriteLine($"llamasteer: {e.Message}");
                ExitCode = 1;
                lifetime.StopApplication();
            }
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    private ServingEngine Load(ServeOptions o, CancellationToken ct)
    {
        NativeRuntime.Configure(new NativeRuntimeOptions
        {
            LibraryDirectory = o.NativeDir,
            LoggerFactory = o.Verbose ? loggers : LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Error).AddSimpleConsole(c => c.SingleLine = true)),
        });
        var path = o.Model ?? DefaultModel.Resolve();
        var model = LlamaModel.Load(path, new ModelOptions { GpuLayers = o.GpuLayers }, cancellationToken: ct);
        try
        {
            var dataDir = o.DataDir ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "llamasteer");
            var registry = new VectorRegistry(dataDir, model, loggers.CreateLogger<VectorRegistry>());
            if (o.Vectors is { } folder)
                _logger.LogInformation("Preloaded {Count} vectors from {Folder}", registry.Preload(folder), folder);
            var presets = new PresetStore(dataDir, loggers.CreateLogger<PresetStore>());
            var scheduler = new ContinuousBatchScheduler(model, new SchedulerOptions
            {
                Slots = o.Parallel,
                QueueLimit = o.QueueLimit,
                SlotContext = o.SlotContext,
                PrefillChunk = o.PrefillChunk,
                Threads = o.Threads,
            });
            var id = o.ModelId ?? Path.GetFileNameWithoutExtension(path);
            return new ServingEngine(id, model, scheduler, registry, presets, new SteeringResolver(registry, model, scheduler.SlotContext), DateTimeOffset.UtcNow);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_loading is { } loading) await loading.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (state.Engine is not { } engine) return;
        _logger.LogInformation("Stopping: running requests get {Grace} s to finish", options.Value.GraceSeconds);
        await engine.Scheduler.StopAsync(TimeSpan.FromSeconds(options.Value.GraceSeconds)).ConfigureAwait(false);
        await engine.Scheduler.DisposeAsync().ConfigureAwait(false);
        // The model stays loaded until the process ends: a handler finishing late may still tokenize with it.
    }
}
