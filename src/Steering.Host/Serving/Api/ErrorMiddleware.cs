using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LlamaSteer.Host.Serving.Api;

/// <summary>Catches what a handler throws before the response started and answers with OpenAI's error envelope.</summary>
internal sealed class ErrorMiddleware(RequestDelegate next, ILogger<ErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        try
        {
            await next(http);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            var api = ErrorEnvelope.Classify(e);
            if (api is null)
            {
                logger.LogError(e, "Unhandled error on {Method} {Path}", http.Request.Method, http.Request.Path);
                api = new ApiException(500, "The server failed on this request; see its log.", code: "internal_error");
            }
            await ErrorEnvelope.WriteAsync(http, api);
        }
    }
}
