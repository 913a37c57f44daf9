using LlamaSteer.Host.Serving.Hosting;
using Prometheus;

namespace LlamaSteer.Host.Serving.Observability;

/// <summary>The server's Prometheus metrics (prometheus-net; <c>GET /metrics</c>). Thread-safe.</summary>
internal sealed class ServingMetrics
{
    private readonly Counter _requests;
    private readonly Counter _promptTokens;
    private readonly Counter _generatedTokens;
    private readonly Counter _steering;
    private readonly Histogram _timeToFirstToken;
    private readonly Histogram _decodeSpeed;

    public ServingMetrics(ServingState state)
    {
        var registry = Metrics.NewCustomRegistry();
        Registry = registry;
        var f = Metrics.WithCustomRegistry(registry);
        _requests = f.CreateCounter("llamasteer_requests_total", "HTTP requests by endpoint and status.", "endpoint", "status");
        _promptTokens = f.CreateCounter("llamasteer_prompt_tokens_total", "Prompt tokens of finished generations.");
        _generatedTokens = f.CreateCounter("llamasteer_generated_tokens_total", "Tokens generated.");
        _steering = f.CreateCounter("llamasteer_generations_total", "Generations by whether they were steered.", "steered");
        _timeToFirstToken = f.CreateHistogram("llamasteer_time_to_first_token_seconds", "From admission to the queue to the first token.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
        _decodeSpeed = f.CreateHistogram("llamasteer_decode_tokens_per_second", "Per-generation decode speed (tokens/s after the first token).",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 2, 16) });
        var queue = f.CreateGauge("llamasteer_queue_depth", "Requests waiting for a slot.");
        var active = f.CreateGauge("llamasteer_active_sequences", "Sequences holding a slot.");
        var ready = f.CreateGauge("llamasteer_model_ready", "1 once the model is loaded.");
        registry.AddBeforeCollectCallback(() =>
        {
            var engine = state.Engine;
            queue.Set(engine?.Scheduler.QueueDepth ?? 0);
            active.Set(engine?.Scheduler.ActiveSequences ?? 0);
            ready.Set(engine is null ? 0 : 1);
        });
    }

    public CollectorRegistry Registry { get; }

    public void Request(string endpoint, int status) => _requests.WithLabels(endpoint, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();

    public void Generation(bool steered, int promptTokens, int generatedTokens, TimeSpan? firstToken, double decodeTokensPerSecond)
    {
        _steering.WithLabels(steered ? "true" : "false").Inc();
        _promptTokens.Inc(promptTokens);
        _generatedTokens.Inc(generatedTokens);
        if (firstToken is { } t) _timeToFirstToken.Observe(t.TotalSeconds);
        if (decodeTokensPerSecond > 0) _decodeSpeed.Observe(decodeTokensPerSecond);
    }
}
