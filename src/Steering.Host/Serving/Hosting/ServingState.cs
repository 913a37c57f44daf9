using LlamaSteer.Host.Serving.Api;
using LlamaSteer.Host.Serving.Registry;
using LlamaSteer.Host.Serving.Steering;
using LlamaSteer.Models;
using LlamaSteer.Serving;

namespace LlamaSteer.Host.Serving.Hosting;

/// <summary>What a running server holds once its model is loaded.</summary>
internal sealed record ServingEngine(
    string ModelId,
    LlamaModel Model,
    ContinuousBatchScheduler Scheduler,
    VectorRegistry Vectors,
    PresetStore Presets,
    SteeringResolver Resolver,
    DateTimeOffset Created);

/// <summary>Whether the model is loading, ready or failed; handlers get the engine through <see cref="Require"/>. Thread-safe.</summary>
internal sealed class ServingState
{
    private volatile ServingEngine? _engine;
    private volatile string? _failure;

    public ServingEngine? Engine => _engine;

    public string? Failure => _failure;

    public void Ready(ServingEngine engine) => _engine = engine;

    public void Fail(string message) => _failure = message;

    /// <exception cref="ApiException">503 with Retry-After while the model loads.</exception>
    public ServingEngine Require() => _engine
        ?? throw new ApiException(503, _failure is null ? "The model is loading; retry shortly." : $"The model failed to load: {_failure}", code: "model_loading") { RetryAfter = 2 };
}
