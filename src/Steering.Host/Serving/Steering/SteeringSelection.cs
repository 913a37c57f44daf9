using LlamaSteer.Host.Serving.Api;
using LlamaSteer.Host.Serving.Hosting;
using Microsoft.AspNetCore.Http;

namespace LlamaSteer.Host.Serving.Steering;

/// <summary>
/// Which steering a generation request gets: the body's <c>steering</c> field, else the <c>X-Steering</c> header,
/// else the preset named in the model id (<c>MODEL:PRESET</c>), else none. The first one present wins whole.
/// </summary>
internal static class SteeringSelection
{
    public const string Header = "X-Steering";

    /// <exception cref="ApiException">404 for another model or an unknown preset; 400/404 from the spec.</exception>
    public static ResolvedSteering Resolve(string model, SteeringSpec? body, HttpRequest request, ServingEngine engine)
    {
        var (baseId, preset) = SplitModel(model);
        if (baseId != engine.ModelId)
            throw ApiException.NotFound($"The model '{model}' does not exist; this server serves '{engine.ModelId}' (GET /v1/models).", "model", "model_not_found");
        if (body is not null) return engine.Resolver.Resolve(body);
        if (request.Headers[Header].ToString() is { Length: > 0 } header) return engine.Resolver.Resolve(SteeringSpec.ParseHeader(header), Header);
        if (preset is null) return ResolvedSteering.None;
        var stored = engine.Presets.Find(preset)
            ?? throw ApiException.NotFound($"The model '{model}' does not exist: no preset '{preset}' (GET /v1/models lists them).", "model", "model_not_found");
        return engine.Resolver.Resolve(SteeringSpec.Parse(stored.Steering, $"preset {preset}"), $"preset {preset}");
    }

    public static (string Model, string? Preset) SplitModel(string model)
    {
        var colon = model.IndexOf(':');
        return colon < 0 ? (model, null) : (model[..colon], model[(colon + 1)..]);
    }
}
