using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;

namespace LlamaSteer.Host.Serving.Chat;

/// <summary>
/// Lets the hub send detailed errors (so a message of the wrong shape is answered with SignalR's "Error binding arguments"
/// sentence, not a bare "Failed to invoke") without leaking anything unexpected: an exception other than a
/// <see cref="HubException"/> is logged and replaced by a one-line message.
/// </summary>
internal sealed class ChatHubErrors(ILogger<ChatHubErrors> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(invocationContext);
        }
        catch (Exception e) when (e is not HubException and not OperationCanceledException)
        {
            logger.LogError(e, "Chat hub method {Method} failed", invocationContext.HubMethodName);
            throw new HubException($"The server failed to run {invocationContext.HubMethodName}; its log says why.");
        }
    }
}
