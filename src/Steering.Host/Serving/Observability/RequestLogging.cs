using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace LlamaSteer.Host.Serving.Observability;

/// <summary>One structured log line and one metric per request: method, route, status, duration. Never bodies, headers or keys.</summary>
internal sealed class RequestLogging(RequestDelegate next, ILogger<RequestLogging> logger, ServingMetrics metrics)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            await next(http);
        }
        finally
        {
            var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            var status = http.RequestAborted.IsCancellationRequested && !http.Response.HasStarted ? 499 : http.Response.StatusCode;
            metrics.Request(route, status);
            logger.LogInformation("{Method} {Route} {Status} in {ElapsedMs:F1} ms", http.Request.Method, route, status, watch.Elapsed.TotalMilliseconds);
        }
    }
}
