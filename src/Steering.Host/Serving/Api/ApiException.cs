namespace LlamaSteer.Host.Serving.Api;

/// <summary>
/// A request the server refuses, with what OpenAI's error envelope needs:
/// <c>{"error": {"message", "type", "param", "code"}}</c> and the HTTP status.
/// </summary>
internal sealed class ApiException(int status, string message, string? param = null, string? code = null, string? type = null) : Exception(message)
{
    public int Status { get; } = status;
    public string? Param { get; } = param;
    public string? Code { get; } = code;
    public string Type { get; } = type ?? (status >= 500 ? "server_error" : "invalid_request_error");

    /// <summary>Seconds a client should wait before retrying (429, 503), or null.</summary>
    public int? RetryAfter { get; init; }

    public static ApiException BadRequest(string message, string? param = null, string? code = null) => new(400, message, param, code);

    public static ApiException NotFound(string message, string? param = null, string code = "not_found") => new(404, message, param, code);
}
