using System.Runtime.CompilerServices;
using LLama.Abstractions;
using Microsoft.Extensions.AI;

namespace LlamaSteer.LLamaSharp;

/// <summary>
/// LLamaSharp's <c>executor.AsChatClient()</c> with LlamaSteer control vectors on every call: the vectors are put on the
/// executor's context when a call starts and taken off when its reply is complete (or abandoned), so the context is
/// unsteered between calls. A call may bring its own vectors in <see cref="ChatOptions.AdditionalProperties"/> under
/// <see cref="VectorsKey"/> (a <see cref="ControlVectors"/>), which replace the client's for that call. Calls run one at a
/// time, since they share the executor's one context. Needs a stateful executor (InteractiveExecutor, InstructExecutor).
/// </summary>
public sealed class SteeredChatClient : DelegatingChatClient
{
    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key of a call's own <see cref="ControlVectors"/>.</summary>
    public const string VectorsKey = "llamasteer.vectors";

    private readonly ILLamaExecutor _executor;
    private readonly ControlVectors? _vectors;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <param name="executor">A stateful executor; its context carries the vectors during each call.</param>
    /// <param name="vectors">The vectors every call is steered with unless it brings its own; null: only calls that bring their own are steered.</param>
    /// <param name="historyTransform">Passed to LLamaSharp's <c>AsChatClient</c>.</param>
    /// <param name="outputTransform">Passed to LLamaSharp's <c>AsChatClient</c>.</param>
    /// <exception cref="NotSupportedException">A StatelessExecutor, which makes a new context for every call.</exception>
    public SteeredChatClient(ILLamaExecutor executor, ControlVectors? vectors, IHistoryTransform? historyTransform = null, ITextStreamTransform? outputTransform = null)
        : base(Checked(executor).AsChatClient(historyTransform, outputTransform))
    {
        _executor = executor;
        _vectors = vectors;
    }

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Steer(options);
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Unsteer();
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Steer(options);
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
                yield return update;
        }
        finally
        {
            Unsteer();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _gate.Dispose();
        base.Dispose(disposing);
    }

    private void Steer(ChatOptions? options)
    {
        var vectors = _vectors;
        if (options?.AdditionalProperties?.TryGetValue(VectorsKey, out var own) == true)
            vectors = own as ControlVectors ?? throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{VectorsKey}\"] must be a ControlVectors, not {own?.GetType().Name ?? "null"}.");
        if (vectors is null) _executor.ClearControlVectors();
        else _executor.ApplyControlVectors(vectors);
    }

    private void Unsteer()
    {
        try
        {
            _executor.ClearControlVectors();
        }
        finally
        {
            _gate.Release();
        }
    }

    private static ILLamaExecutor Checked(ILLamaExecutor executor)
    {
        ArgumentNullException.ThrowIfNull(executor);
        SteeringExtensions.RefuseStateless(executor);
        return executor;
    }
}
