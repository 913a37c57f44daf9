using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace LlamaSteer.Host.Tests.Serving;

/// <summary>Raw HTTP against a test server: JSON posts and server-sent events read line by line over a real socket.</summary>
internal sealed class ServerClient(Uri address, string? key = null) : IDisposable
{
    public HttpClient Http { get; } = Create(address, key);

    private static HttpClient Create(Uri address, string? key)
    {
        var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(120) };
        if (key is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    public static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    public async Task<(int Status, JsonNode? Body)> PostAsync(string path, JsonNode body, IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(body) };
        foreach (var (k, v) in headers ?? new Dictionary<string, string>()) request.Headers.Add(k, v);
        using var response = await Http.SendAsync(request);
        return ((int)response.StatusCode, await Read(response));
    }

    public async Task<(int Status, JsonNode? Body)> SendAsync(HttpRequestMessage request)
    {
        using var response = await Http.SendAsync(request);
        return ((int)response.StatusCode, await Read(response));
    }

    public async Task<(int Status, JsonNode? Body)> GetAsync(string path) => await SendAsync(new HttpRequestMessage(HttpMethod.Get, path));

    private static async Task<JsonNode?> Read(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    /// <summary>The <c>data:</c> payloads of a streamed response, in order ("[DONE]" included).</summary>
    public async Task<List<string>> StreamAsync(string path, JsonNode body, IDictionary<string, string>? headers = null, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(body) };
        foreach (var (k, v) in headers ?? new Dictionary<string, string>()) request.Headers.Add(k, v);
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.That((int)response.StatusCode, Is.EqualTo(200), await ErrorText(response));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
        var events = new List<string>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        while (await reader.ReadLineAsync(ct) is { } line)
            if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add(line["data: ".Length..]);
        return events;
    }

    private static async Task<string> ErrorText(HttpResponseMessage r) => (int)r.StatusCode == 200 ? "" : await r.Content.ReadAsStringAsync();

    /// <summary>The text of a streamed chat or text completion, from its chunks.</summary>
    public static string TextOf(IEnumerable<string> events)
    {
        var text = new StringBuilder();
        foreach (var e in events.Where(e => e != "[DONE]"))
            foreach (var c in JsonNode.Parse(e)!["choices"]!.AsArray())
                text.Append((string?)c!["delta"]?["content"] ?? (string?)c["text"] ?? "");
        return text.ToString();
    }

    public void Dispose() => Http.Dispose();
}
