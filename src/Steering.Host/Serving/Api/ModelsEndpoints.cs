using System.Text.Json.Nodes;
using LlamaSteer.Host.Serving.Hosting;
using LlamaSteer.Host.Serving.Security;
using LlamaSteer.Host.Serving.Steering;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlamaSteer.Host.Serving.Api;

/// <summary><c>GET /v1/models</c>: the model, and one entry per preset as <c>MODEL:PRESET</c>.</summary>
internal static class ModelsEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/models").AddEndpointFilter(new RequireScope(ApiScope.Inference));
        group.MapGet("", (ServingState state) =>
        {
            var engine = state.Require();
            var data = new JsonArray { Entry(engine, engine.ModelId) };
            foreach (var p in engine.Presets.List()) data.Add(Entry(engine, $"{engine.ModelId}:{p.Name}"));
            return Results.Text(JsonText.Write(new JsonObject { ["object"] = "list", ["data"] = data }), "application/json");
        });
        group.MapGet("/{**id}", (string id, ServingState state) =>
        {
            var engine = state.Require();
            var (model, preset) = SteeringSelection.SplitModel(id);
            if (model != engine.ModelId || (preset is not null && engine.Presets.Find(preset) is null))
                throw ApiException.NotFound($"The model '{id}' does not exist.", "model", "model_not_found");
            return Results.Text(JsonText.Write(Entry(engine, id)), "application/json");
        });
    }

    private static JsonObject Entry(ServingEngine engine, string id) => new()
    {
        ["id"] = id,
        ["object"] = "model",
        ["created"] = engine.Created.ToUnixTimeSeconds(),
        ["owned_by"] = "llamasteer",
        ["meta"] = new JsonObject
        {
            ["n_layer"] = engine.Model.LayerCount,
            ["n_embd"] = engine.Model.EmbeddingSize,
            ["n_ctx_slot"] = engine.Scheduler.SlotContext,
            ["slots"] = engine.Scheduler.Options.Slots,
        },
    };
}
