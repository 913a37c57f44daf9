using Microsoft.Extensions.DependencyInjection;
using System.Security.Cryptography;
using System.Text;
using LlamaSteer.Host.Serving.Api;
using Microsoft.AspNetCore.Http;

namespace LlamaSteer.Host.Serving.Security;

/// <summary>What a key may do: inference (generate, read the registry) or admin (also write the registry).</summary>
internal enum ApiScope { Inference, Admin }

/// <summary>
/// API keys from a file of "SCOPE KEY" lines (# comments, blank lines allowed). A request presents a key as
/// <c>Authorization: Bearer KEY</c> or <c>x-api-key: KEY</c>. Keys are compared by their SHA-256 in constant time,
/// against every configured key, so timing says nothing about how much of a key matched. With no file, every
/// request is allowed. Immutable; thread-safe.
/// </summary>
internal sealed class ApiKeys
{
    private readonly List<(byte[] Hash, ApiScope Scope)> _keys;

    private ApiKeys(List<(byte[] Hash, ApiScope Scope)> keys) => _keys = keys;

    public static ApiKeys None { get; } = new([]);

    public bool Enabled => _keys.Count > 0;

    /// <exception cref="ArgumentException">A malformed line (the message gives its number, never the key).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ApiKeys Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--api-key-file {path}: no such file.");
        var keys = new List<(byte[], ApiScope)>();
        var number = 0;
        foreach (var raw in File.ReadLines(path))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !Enum.TryParse<ApiScope>(parts[0], ignoreCase: true, out var scope) || parts[1].Length < 8)
                throw new ArgumentException($"--api-key-file {path}: line {number} must be 'inference KEY' or 'admin KEY' with a key of at least 8 characters.");
            keys.Add((Hash(parts[1]), scope));
        }
        if (keys.Count == 0) throw new ArgumentException($"--api-key-file {path}: no keys in the file.");
        return new ApiKeys(keys);
    }

    /// <exception cref="ApiException">401 without a key or with a wrong one; 403 when the key lacks the scope.</exception>
    public void Authorize(HttpRequest request, ApiScope needed) => Authorize(Presented(request), needed);

    /// <summary>Checks a key presented some other way (the chat hub's <c>access_token</c>, which browsers send on WebSocket connects).</summary>
    /// <exception cref="ApiException">401 without a key or with a wrong one; 403 when the key lacks the scope.</exception>
    public void Authorize(string? presented, ApiScope needed)
    {
        if (!Enabled) return;
        presented = presented ?? throw new ApiException(401, "No API key: send 'Authorization: Bearer KEY' or 'x-api-key: KEY'.", code: "missing_api_key");
        var hash = Hash(presented);
        ApiScope? found = null;
        foreach (var (key, scope) in _keys)
            if (CryptographicOperations.FixedTimeEquals(hash, key) && (found is null || scope > found)) found = scope;
        if (found is null) throw new ApiException(401, "Incorrect API key provided.", code: "invalid_api_key");
        if (found < needed) throw new ApiException(403, "This key may not change the registry; use an admin key.", code: "insufficient_scope", type: "permission_error");
    }

    private static string? Presented(HttpRequest request)
    {
        var auth = request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return auth["Bearer ".Length..].Trim();
        var key = request.Headers["x-api-key"].ToString();
        return key.Length > 0 ? key : null;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}

/// <summary>An endpoint filter that requires a scope of <see cref="ApiKeys"/>.</summary>
internal sealed class RequireScope(ApiScope scope) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        context.HttpContext.RequestServices.GetRequiredService<ApiKeys>().Authorize(context.HttpContext.Request, scope);
        return next(context);
    }
}
