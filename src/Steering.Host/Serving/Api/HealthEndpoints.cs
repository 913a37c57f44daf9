using System.Text.Json.Nodes;
using LlamaSteer.Host.Serving.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlamaSteer.Host.Serving.Api;

/// <summary><c>GET /health</c> (public): 200 when the model is loaded, 503 with Retry-After while it loads.</summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/health", (ServingState state, HttpContext http) =>
    {
        if (state.Engine is { } engine)
            return Results.Text(JsonText.Write(new JsonObject
            {
                ["status"] = "ok",
                ["model"] = engine.ModelId,
                ["slots"] = engine.Scheduler.Options.Slots,
                ["slots_idle"] = engine.Scheduler.FreeSlots,
                ["queue"] = engine.Scheduler.QueueDepth,
            }), "application/json");
        http.Response.Headers.RetryAfter = "2";
        return Results.Text(JsonText.Write(new JsonObject { ["status"] = state.Failure is null ? "loading" : "failed" }), "application/json", statusCode: 503);
    });
}
