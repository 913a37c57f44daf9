using LlamaSteer.Host.Serving.Chat;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace LlamaSteer.Host.Tests.Serving.Page;

/// <summary>A .NET client of the chat hub over a real loopback socket with the MessagePack protocol, as the README shows it.</summary>
internal static class ChatConnection
{
    public static async Task<HubConnection> OpenAsync(Uri server)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server, "/hub/chat"))
            .AddMessagePackProtocol()
            .Build();
        await connection.StartAsync();
        return connection;
    }

    public static ChatGenerateRequest Request(string prompt, int maxTokens, params ChatVector[] vectors) => new()
    {
        Messages = [new ChatTurn { Role = "user", Content = prompt }],
        Vectors = [.. vectors],
        MaxTokens = maxTokens,
    };

    public static ChatVector Vector(string id, float strength, string? layers = null) => new() { Id = id, Strength = strength, Layers = layers };

    /// <summary>Every event of one generation; <paramref name="onEvent"/> sees each as it arrives.</summary>
    public static async Task<List<ChatEvent>> GenerateAsync(this HubConnection connection, ChatGenerateRequest request, Func<ChatEvent, Task>? onEvent = null)
    {
        var events = new List<ChatEvent>();
        await foreach (var e in connection.StreamAsync<ChatEvent>("Generate", request))
        {
            events.Add(e);
            if (onEvent is not null) await onEvent(e);
        }
        return events;
    }

    public static List<ChatEvent> Tokens(this IEnumerable<ChatEvent> events, string side = "steered") =>
        events.Where(e => e.Kind == "token" && e.Side == side).ToList();

    public static string Text(this IEnumerable<ChatEvent> events, string side = "steered") =>
        string.Concat(events.Tokens(side).Select(e => e.Text));
}
