using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlamaSteer.Host.Serving.Api;

/// <summary>How responses are serialised: compact, with only what JSON requires escaped (quotes in text stay readable).</summary>
internal static class JsonText
{
    public static JsonSerializerOptions Options { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(JsonNode node) => node.ToJsonString(Options);
}
