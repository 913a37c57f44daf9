using System.Text.Json;
using System.Text.Json.Nodes;
using LlamaSteer.Errors;
using LlamaSteer.Serving;
using Microsoft.AspNetCore.Http;

namespace LlamaSteer.Host.Serving.Api;

/// <summary>Turns engine and request errors into OpenAI's error envelope with the right status. Deterministic client errors are never 5xx.</summary>
internal static class ErrorEnvelope
{
    /// <summary>The API error an exception stands for; null for a bug (a 500).</summary>
    public static ApiException? Classify(Exception e) => e switch
    {
        ApiException api => api,
        BadHttpRequestException { StatusCode: 413 } => new ApiException(413, "The request body is larger than the server accepts.", code: "request_too_large"),
        BadHttpRequestException bad => ApiException.BadRequest(bad.Message),
        JsonException json => ApiException.BadRequest($"The body is not valid JSON: {FirstLine(json.Message)}", code: "invalid_json"),
        QueueFullException q => new ApiException(429, q.Message, code: "queue_full", type: "rate_limit_error") { RetryAfter = 1 },
        SchedulerStoppedException s => new ApiException(503, s.Message, code: "shutting_down") { RetryAfter = 5 },
        ContextOverflowException c => ApiException.BadRequest(c.Message, "messages", "context_length_exceeded"),
        ArgumentException a => ApiException.BadRequest(Clean(a.Message)),
        _ => null,
    };

    public static JsonObject Body(ApiException e) => new()
    {
        ["error"] = new JsonObject
        {
            ["message"] = e.Message,
            ["type"] = e.Type,
            ["param"] = e.Param,
            ["code"] = e.Code,
        },
    };

    public static async Task WriteAsync(HttpContext http, ApiException e)
    {
        http.Response.StatusCode = e.Status;
        if (e.RetryAfter is { } s) http.Response.Headers.RetryAfter = s.ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(JsonText.Write(Body(e)), http.RequestAborted);
    }

    private static string FirstLine(string s) => s.Split('\n')[0];

    // ArgumentOutOfRangeException appends "(Parameter 'x')\nActual value was y."; a client needs the first sentence.
    private static string Clean(string message)
    {
        var i = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return i > 0 ? message[..i] : FirstLine(message);
    }
}
