using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using LlamaSteer.Host.Serving.Hosting;
using LlamaSteer.Host.Serving.Observability;
using LlamaSteer.Host.Serving.Security;
using LlamaSteer.Host.Serving.Steering;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace LlamaSteer.Host.Serving.Api;

/// <summary><c>POST /v1/chat/completions</c> and <c>POST /v1/completions</c>: parse, resolve the steering, hand over to <see cref="CompletionRunner"/>.</summary>
internal static class GenerationEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1").AddEndpointFilter(new RequireScope(ApiScope.Inference));
        group.MapPost("/chat/completions", (HttpContext http) => Handle(http, CompletionShape.Chat));
        group.MapPost("/completions", (HttpContext http) => Handle(http, CompletionShape.Text));
    }

    private static async Task Handle(HttpContext http, CompletionShape shape)
    {
        var services = http.RequestServices;
        var engine = services.GetRequiredService<ServingState>().Require();
        var options = services.GetRequiredService<IOptions<ServeOptions>>().Value;
        using var body = await ReadJson(http);
        var request = CompletionRequest.Parse(body.RootElement, shape == CompletionShape.Chat, engine, options.MaxTokens);
        var steering = SteeringSelection.Resolve(request.Model, request.Steering, http.Request, engine);
        await new CompletionRunner(engine, services.GetRequiredService<ServingMetrics>(), shape, request, steering).RunAsync(http);
    }

    /// <summary>Reads the body as JSON whatever its Content-Type, as llama.cpp's server does (its size is limited by Kestrel: larger bodies are a 413).</summary>
    public static async Task<JsonDocument> ReadJson(HttpContext http)
    {
        try
        {
            return await JsonDocument.ParseAsync(http.Request.Body, default, http.RequestAborted);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"The body is not valid JSON: {e.Message.Split('\n')[0]}", code: "invalid_json");
        }
    }
}
