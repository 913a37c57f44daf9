using System.CommandLine;
using LlamaSteer.Host.Serving.Hosting;

namespace LlamaSteer.Host.Cli;

/// <summary>
/// <c>llamasteer serve</c>: the OpenAI-compatible steerable chat host. Each option maps onto the configuration key
/// <c>Serve:NAME</c> and overrides appsettings.json / <c>--config</c> and <c>LLAMASTEER_Serve__NAME</c> variables.
/// </summary>
internal static class ServeCommand
{
    private static readonly (string Name, string Key, string Description)[] Settings =
    [
        ("--model", "Model", "GGUF model file (default: $LLAMASTEER_MODEL, else models/stories260K.gguf)"),
        ("--model-id", "ModelId", "Model id clients use (default: the file name without .gguf)"),
        ("--host", "Host", "Address to listen on (default 127.0.0.1)"),
        ("--port", "Port", "TCP port (default 8080; 0 picks a free one)"),
        ("--data-dir", "DataDir", "Where vectors and presets persist (default: the user's local data folder, llamasteer/)"),
        ("--parallel", "Parallel", "Sequence slots decoded together (default 4)"),
        ("--queue-limit", "QueueLimit", "Requests that may wait for a slot before 429 (default 64)"),
        ("--slot-context", "SlotContext", "Tokens per slot, prompt and generation (default: the model's, at most 2048)"),
        ("--prefill-chunk", "PrefillChunk", "Prompt tokens prefilled per step beside decoding sequences (default 128)"),
        ("--max-tokens", "MaxTokens", "Most tokens one request may ask for (default 4096)"),
        ("--max-body-bytes", "MaxBodyBytes", "Largest JSON body (default 1 MiB)"),
        ("--api-key-file", "ApiKeyFile", "File of 'inference KEY' / 'admin KEY' lines; without it no key is needed"),
        ("--vectors", "Vectors", "Folder of control vectors (NAME.gguf, NAME.clas.gguf) to register at start"),
        ("--threads", "Threads", "CPU threads (default: 1 for tiny models, else one per core)"),
        ("--gpu-layers", "GpuLayers", "Layers to offload to the GPU (-1 = all; CUDA build)"),
        ("--native-dir", "NativeDir", "Folder with your own llama.cpp build"),
        ("--grace", "GraceSeconds", "Seconds running requests get to finish after SIGINT/SIGTERM (default 10)"),
        ("--log-format", "LogFormat", "simple or json (structured, one object per line)"),
        ("--max-strength", "MaxStrength", "The chat page's sliders run from -N to N; the hub refuses beyond (default 8)"),
    ];

    public static Command Create()
    {
        var command = new Command("serve", "Serve the model over an OpenAI-compatible HTTP API with per-request steering, continuously batched");
        var options = Settings.Select(s => (s.Key, Option: new Option<string?>(s.Name) { Description = s.Description })).ToList();
        foreach (var (_, o) in options) command.Options.Add(o);
        var config = new Option<string?>("--config") { Description = "JSON settings file (section \"Serve\")" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show llama.cpp's log" };
        command.Options.Add(config);
        command.Options.Add(verbose);
        command.SetAction((parse, ct) => ErrorReporter.Report(async () =>
        {
            var values = new Dictionary<string, string?>();
            foreach (var (key, option) in options)
                if (parse.GetValue(option) is { } v) values[$"{ServeOptions.Section}:{key}"] = v;
            if (parse.GetValue(verbose)) values[$"{ServeOptions.Section}:Verbose"] = "true";
            return await ServeHost.RunAsync(values, parse.GetValue(config), ct);
        }));
        return command;
    }
}
