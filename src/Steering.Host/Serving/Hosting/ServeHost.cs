using Microsoft.Extensions.DependencyInjection;
using System.Net;
using LlamaSteer.Host.Serving.Api;
using LlamaSteer.Host.Serving.Chat;
using LlamaSteer.Host.Serving.Observability;
using LlamaSteer.Host.Serving.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;

namespace LlamaSteer.Host.Serving.Hosting;

/// <summary>
/// Builds and runs the HTTP service: configuration (appsettings.json or <c>--config</c>, <c>LLAMASTEER_</c> environment
/// variables, the command line, in rising precedence), Kestrel on the configured address, the endpoint groups, and
/// the background model load. Returns the process exit code: 0 after a graceful stop, 1 when the model failed to load.
/// </summary>
internal static class ServeHost
{
    /// <exception cref="ArgumentException">Invalid options (exit code 2).</exception>
    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string?> commandLine, string? configFile, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = Directory.GetCurrentDirectory() });
        if (configFile is not null)
        {
            if (!File.Exists(configFile)) throw new FileNotFoundException($"--config {configFile}: no such file.");
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        }
        builder.Configuration.AddEnvironmentVariables("LLAMASTEER_");
        builder.Configuration.AddInMemoryCollection(commandLine);

        ServeOptions options;
        try
        {
            options = builder.Configuration.GetSection(ServeOptions.Section).Get<ServeOptions>() ?? new ServeOptions();
        }
        catch (InvalidOperationException e)
        {
            throw new ArgumentException($"Invalid serve setting: {e.Message}");
        }
        var check = new ServeOptionsValidator().Validate(null, options);
        if (check.Failed) throw new ArgumentException(string.Join(" ", check.Failures));
        var keys = options.ApiKeyFile is { } keyFile ? ApiKeys.Load(keyFile) : ApiKeys.None;
        // A model that is not there fails now, as one line, not after the host has started.
        if (options.Model is { } model && !File.Exists(model)) throw new FileNotFoundException($"Model file not found: {model}");

        ConfigureLogging(builder.Logging, builder.Configuration);
        builder.Services.AddOptions<ServeOptions>().Bind(builder.Configuration.GetSection(ServeOptions.Section));
        builder.Services.AddSingleton<IValidateOptions<ServeOptions>, ServeOptionsValidator>();
        builder.Services.AddSingleton(keys);
        builder.Services.AddSingleton<ServingState>();
        builder.Services.AddSingleton<ServingMetrics>();
        builder.Services.AddSingleton<EngineLoader>();
        builder.Services.AddHostedService(s => s.GetRequiredService<EngineLoader>());
        ChatPage.AddServices(builder.Services);
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(options.GraceSeconds + 5));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            k.AddServerHeader = false;
            if (options.Host == "localhost") k.ListenLocalhost(options.Port);
            else if (IPAddress.TryParse(options.Host, out var ip)) k.Listen(ip, options.Port);
            else throw new ArgumentException($"--host {options.Host} is not an IP address or localhost.");
        });

        await using var app = builder.Build();
        app.UseMiddleware<RequestLogging>();
        app.UseMiddleware<ErrorMiddleware>();
        HealthEndpoints.Map(app);
        ModelsEndpoints.Map(app);
        GenerationEndpoints.Map(app);
        VectorsEndpoints.Map(app);
        PresetsEndpoints.Map(app);
        ChatPage.Map(app);
        app.MapMetrics("/metrics", app.Services.GetRequiredService<ServingMetrics>().Registry);
        app.MapFallback((HttpContext http) => throw ApiException.NotFound($"No route {http.Request.Method} {http.Request.Path}.", code: "unknown_route"));

        // RunAsync disposes the host's services when it returns, so the loader is taken first.
        var loader = app.Services.GetRequiredService<EngineLoader>();
        try
        {
            await app.RunAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (loader.ExitCode != 0 && !cancellationToken.IsCancellationRequested)
        {
            // The model failed to load before the server finished starting: the loader has said why.
        }
        catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
        {
            throw new IOException($"Cannot listen on {options.Host}:{options.Port}: {e.Message}", e);
        }
        return loader.ExitCode;
    }

    private static void ConfigureLogging(ILoggingBuilder logging, IConfiguration configuration)
    {
        logging.ClearProviders();
        var json = string.Equals(configuration[$"{ServeOptions.Section}:LogFormat"], "json", StringComparison.OrdinalIgnoreCase);
        if (json) logging.AddJsonConsole(o => o.IncludeScopes = false);
        else logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        // Logs go to stderr; stdout carries only the address line.
        logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft", LogLevel.Warning);
    }
}
