using System.Text.Json.Nodes;
using LlamaSteer.Host.Serving.Hosting;
using LlamaSteer.Host.Serving.Registry;
using LlamaSteer.Host.Serving.Security;
using LlamaSteer.Host.Serving.Steering;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlamaSteer.Host.Serving.Api;

/// <summary>
/// Presets: <c>GET /v1/steering/presets</c>, <c>GET/PUT/DELETE /v1/steering/presets/{name}</c>. A PUT body is a steering
/// spec (the request field's JSON, or <c>{"steering": spec}</c>); it is resolved against the registry before it is stored.
/// </summary>
internal static class PresetsEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/v1/steering/presets").AddEndpointFilter(new RequireScope(ApiScope.Inference));
        var write = app.MapGroup("/v1/steering/presets").AddEndpointFilter(new RequireScope(ApiScope.Admin));
        read.MapGet("", (ServingState state) =>
            Json(new JsonObject { ["object"] = "list", ["data"] = new JsonArray(state.Require().Presets.List().Select(p => (JsonNode?)p.ToJson()).ToArray()) }));
        read.MapGet("/{name}", (string name, ServingState state) =>
            Json((state.Require().Presets.Find(name) ?? throw NotFound(name)).ToJson()));
        write.MapPut("/{name}", async (string name, HttpContext http, ServingState state) =>
        {
            var engine = state.Require();
            RegistryNames.Check(name, "name");
            using var body = await GenerationEndpoints.ReadJson(http);
            var spec = body.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && body.RootElement.TryGetProperty("steering", out var inner)
                ? inner : body.RootElement;
            var resolved = engine.Resolver.Resolve(SteeringSpec.Parse(spec));
            var (preset, created) = engine.Presets.Put(name, spec);
            var json = preset.ToJson();
            json["resolved"] = resolved.ToJson();
            return Results.Text(JsonText.Write(json), "application/json", statusCode: created ? 201 : 200);
        });
        write.MapDelete("/{name}", (string name, ServingState state) =>
        {
            if (!state.Require().Presets.Delete(name)) throw NotFound(name);
            return Json(new JsonObject { ["name"] = name, ["object"] = "steering.preset.deleted", ["deleted"] = true });
        });
    }

    private static ApiException NotFound(string name) => ApiException.NotFound($"No preset '{name}'.", "name", "preset_not_found");

    private static IResult Json(JsonNode node) => Results.Text(JsonText.Write(node), "application/json");
}
