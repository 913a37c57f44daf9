using Microsoft.Extensions.Options;

namespace LlamaSteer.Host.Serving.Hosting;

/// <summary>
/// Settings of <c>llamasteer serve</c>, bound from the configuration section <c>Serve</c>: appsettings.json, then
/// environment variables (<c>LLAMASTEER_Serve__Port</c>), then the command line. Validated once at start.
/// </summary>
public sealed class ServeOptions
{
    public const string Section = "Serve";

    /// <summary>GGUF model file; null: the default model.</summary>
    public string? Model { get; set; }

    /// <summary>The model id clients use; null: the model file's name without extension.</summary>
    public string? ModelId { get; set; }

    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (the address is printed).</summary>
    public int Port { get; set; } = 8080;

    /// <summary>Where vectors and presets persist; null: the user's local data folder (llamasteer/).</summary>
    public string? DataDir { get; set; }

    /// <summary>Sequence slots decoded together.</summary>
    public int Parallel { get; set; } = 4;

    /// <summary>Requests that may wait for a slot before 429.</summary>
    public int QueueLimit { get; set; } = 64;

    /// <summary>Tokens per slot (prompt and generation); null: the model's trained context, at most 2048.</summary>
    public int? SlotContext { get; set; }

    /// <summary>Prompt tokens prefilled per step beside running sequences.</summary>
    public int PrefillChunk { get; set; } = 128;

    /// <summary>Most tokens one request may ask for.</summary>
    public int MaxTokens { get; set; } = 4096;

    /// <summary>Largest JSON body in bytes.</summary>
    public long MaxBodyBytes { get; set; } = 1 << 20;

    /// <summary>Largest vector upload in bytes.</summary>
    public long MaxUploadBytes { get; set; } = 64L << 20;

    /// <summary>File with API keys, one "SCOPE KEY" per line (scopes: inference, admin); null: no keys needed.</summary>
    public string? ApiKeyFile { get; set; }

    /// <summary>A folder of control vectors to register at start.</summary>
    public string? Vectors { get; set; }

    public int? Threads { get; set; }

    public int GpuLayers { get; set; }

    public string? NativeDir { get; set; }

    /// <summary>Seconds running requests get to finish after SIGINT/SIGTERM before they are cancelled.</summary>
    public double GraceSeconds { get; set; } = 10;

    public bool Verbose { get; set; }

    /// <summary>The chat page's sliders run from -MaxStrength to +MaxStrength; the hub refuses anything beyond.</summary>
    public float MaxStrength { get; set; } = 8;
}

/// <summary>Checks <see cref="ServeOptions"/> once, at start, with messages that name the option.</summary>
internal sealed class ServeOptionsValidator : IValidateOptions<ServeOptions>
{
    public ValidateOptionsResult Validate(string? name, ServeOptions o)
    {
        var errors = new List<string>();
        if (o.Port is < 0 or > 65535) errors.Add($"--port {o.Port} is not a TCP port (0-65535).");
        if (o.Parallel is < 1 or > 256) errors.Add($"--parallel {o.Parallel} must be between 1 and 256.");
        if (o.QueueLimit < 0) errors.Add($"--queue-limit {o.QueueLimit} must be >= 0.");
        if (o.SlotContext is < 8) errors.Add($"--slot-context {o.SlotContext} must be at least 8.");
        if (o.PrefillChunk < 1) errors.Add($"--prefill-chunk {o.PrefillChunk} must be at least 1.");
        if (o.MaxTokens < 1) errors.Add($"--max-tokens {o.MaxTokens} must be at least 1.");
        if (o.MaxBodyBytes < 1024) errors.Add($"--max-body-bytes {o.MaxBodyBytes} must be at least 1024.");
        if (o.Threads is < 1) errors.Add($"--threads {o.Threads} must be at least 1.");
        if (o.GraceSeconds is < 0 or > 3600 || double.IsNaN(o.GraceSeconds)) errors.Add($"--grace {o.GraceSeconds} must be between 0 and 3600 seconds.");
        if (string.IsNullOrWhiteSpace(o.Host)) errors.Add("--host is empty.");
        if (!float.IsFinite(o.MaxStrength) || o.MaxStrength is <= 0 or > 1e4f) errors.Add($"--max-strength {o.MaxStrength} must be above 0 and at most 10000.");
        if (o.ModelId is { } id && (id.Length == 0 || id.Contains(':'))) errors.Add($"--model-id '{id}' must be non-empty and without ':'.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
