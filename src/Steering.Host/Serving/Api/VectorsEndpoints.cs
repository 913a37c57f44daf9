using System.Text.Json.Nodes;
using LlamaSteer.Host.Serving.Hosting;
using LlamaSteer.Host.Serving.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace LlamaSteer.Host.Serving.Api;

/// <summary>
/// The vector registry: <c>GET/POST /v1/steering/vectors</c>, <c>GET/DELETE /v1/steering/vectors/{id}</c>.
/// Uploads are multipart form data: <c>file</c> (the control-vector GGUF), optional <c>clas</c> (its .clas.gguf)
/// and <c>name</c>; no path is ever read from a request or shown in a response.
/// </summary>
internal static class VectorsEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/v1/steering/vectors").AddEndpointFilter(new RequireScope(ApiScope.Inference));
        var write = app.MapGroup("/v1/steering/vectors").AddEndpointFilter(new RequireScope(ApiScope.Admin));
        read.MapGet("", (ServingState state) =>
            Json(new JsonObject { ["object"] = "list", ["data"] = new JsonArray(state.Require().Vectors.List().Select(v => (JsonNode?)v.ToJson()).ToArray()) }));
        read.MapGet("/{id}", (string id, ServingState state) =>
            Json((state.Require().Vectors.Find(id) ?? throw NotFound(id)).ToJson()));
        write.MapDelete("/{id}", (string id, ServingState state) =>
        {
            var engine = state.Require();
            var entry = engine.Vectors.Find(id) ?? throw NotFound(id);
            engine.Vectors.Delete(entry.Id);
            return Json(new JsonObject { ["id"] = entry.Id, ["object"] = "steering.vector.deleted", ["deleted"] = true });
        });
        write.MapPost("", Upload).DisableAntiforgery();
    }

    private static async Task<IResult> Upload(HttpContext http, ServingState state, IOptions<ServeOptions> options)
    {
        var engine = state.Require();
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = options.Value.MaxUploadBytes;
        if (!http.Request.HasFormContentType)
            throw new ApiException(415, "Upload the vector as multipart/form-data with a 'file' part (and optional 'clas' and 'name').", code: "unsupported_media_type");
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var file = form.Files.GetFile("file") ?? throw ApiException.BadRequest("The upload has no 'file' part holding the control-vector GGUF.", "file");
        var name = form["name"].ToString() is { Length: > 0 } n ? n : Path.GetFileNameWithoutExtension(Path.GetFileName(file.FileName));
        await using var vector = file.OpenReadStream();
        var clasFile = form.Files.GetFile("clas");
        await using var clas = clasFile?.OpenReadStream();
        var (entry, created) = engine.Vectors.Add(name, vector, clas);
        return Results.Text(JsonText.Write(entry.ToJson()), "application/json", statusCode: created ? 201 : 200);
    }

    private static ApiException NotFound(string id) => ApiException.NotFound($"No vector '{id}' is registered.", "id", "vector_not_found");

    private static IResult Json(JsonNode node) => Results.Text(JsonText.Write(node), "application/json");
}
