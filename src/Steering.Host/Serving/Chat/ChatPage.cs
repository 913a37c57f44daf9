using LlamaSteer.Host.Serving.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;

namespace LlamaSteer.Host.Serving.Chat;

/// <summary>
/// The chat page: <c>GET /</c> (the page) and <c>GET /chat/{file}</c> (its script and style, and the SignalR and
/// MessagePack client scripts fetched from the npm registry at build time), all embedded in the executable so the
/// page works offline; and the hub at <see cref="ChatHub.Path"/> with the MessagePack and JSON protocols.
/// </summary>
internal static class ChatPage
{
    /// <summary>Prefix of the page's embedded resources (their LogicalName in Steering.Host.csproj).</summary>
    public const string ResourcePrefix = "chatpage";

    private static readonly EmbeddedFileProvider Files = new(typeof(ChatPage).Assembly, ResourcePrefix);

    public static void AddServices(IServiceCollection services)
    {
        services.AddSingleton<ChatGenerations>();
        services.AddSingleton<ChatHubErrors>();
        services.AddSignalR(o =>
        {
            // A slider change or a conversation is small; anything larger is refused and closes that connection only.
            o.MaximumReceiveMessageSize = 64 * 1024;
            o.MaximumParallelInvocationsPerClient = 2;
            o.EnableDetailedErrors = true;
            o.AddFilter<ChatHubErrors>();
        }).AddMessagePackProtocol();
    }

    public static void Map(WebApplication app)
    {
        app.MapHub<ChatHub>(ChatHub.Path);
        app.MapGet("/", () => File("index.html"));
        app.MapGet("/chat/{file}", (string file) => File(file));
    }

    private static IResult File(string name)
    {
        var file = Files.GetFileInfo(name);
        if (!file.Exists || name.Contains('/') || name.Contains('\\'))
            throw ApiException.NotFound($"The chat page has no file '{name}'.", code: "unknown_route");
        var type = System.IO.Path.GetExtension(name) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            ".png" => "image/png",
            _ => "application/octet-stream",
        };
        return Results.Stream(file.CreateReadStream(), type);
    }
}
