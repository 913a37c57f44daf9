using System.Runtime.CompilerServices;
using System.Threading.Channels;
using LlamaSteer.Generation;
using LlamaSteer.Steering;

namespace LlamaSteer.Serving;

/// <summary>What to generate through a <see cref="ContinuousBatchScheduler"/>.</summary>
/// <param name="Prompt">The full prompt text (a chat already formatted with its template).</param>
/// <param name="Options">Length, sampling, stop strings and the steering plan (<see cref="GenerationOptions.EffectivePlan"/>).</param>
/// <param name="TopLogprobs">Null: no log-probabilities; 0: the chosen token's; k: also the k most likely tokens of each step.</param>
public sealed record ServingRequest(string Prompt, GenerationOptions Options, int? TopLogprobs = null)
{
    /// <summary>
    /// Least time between two tokens of this sequence (zero: as fast as the batch runs). A paced sequence sits out
    /// decodes until it is due, so a reader can follow a fast model and change its plan while it writes; others are not slowed.
    /// </summary>
    public TimeSpan TokenInterval { get; init; }
}

/// <summary>
/// A request admitted to a <see cref="ContinuousBatchScheduler"/>: its tokens arrive on <see cref="Tokens"/> as
/// they are generated and <see cref="Completion"/> ends with the result. Cancelling the token given at submit
/// frees its slot at the next step. Thread-safe to read from one consumer.
/// </summary>
public sealed class ServedSequence
{
    private readonly Channel<ServedToken> _tokens = Channel.CreateUnbounded<ServedToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource<GenerationResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly object _planLock = new();
    private SteeringPlan? _pendingPlan;
    private int _pendingRevision;

    internal ServedSequence(int[] prompt, ServingRequest request, SteeringPlan plan, CancellationToken cancellationToken)
    {
        Prompt = prompt;
        Request = request;
        Plan = plan;
        CancellationToken = cancellationToken;
    }

    internal int[] Prompt { get; }
    internal ServingRequest Request { get; }
    internal CancellationToken CancellationToken { get; }
    internal ContinuousBatchScheduler? Scheduler { get; init; }

    /// <summary>The plan in force on the decoding thread (the submitted one until a replacement is taken).</summary>
    internal SteeringPlan Plan { get; private set; }

    /// <summary>Revision of <see cref="Plan"/>: 0 as submitted, +1 for each replacement taken.</summary>
    internal int PlanRevision { get; private set; }

    /// <summary>True once the sequence has ended (completed, failed or cancelled).</summary>
    public bool IsFinished => _completion.Task.IsCompleted;

    /// <summary>Queues a replacement plan (any thread); a later call before the hand-off wins. Returns the revision it will carry.</summary>
    internal int OfferPlan(SteeringPlan plan)
    {
        lock (_planLock)
        {
            _pendingPlan = plan;
            return ++_pendingRevision;
        }
    }

    /// <summary>Takes the queued plan, if any (decoding thread, between two decodes).</summary>
    internal bool TakePlan()
    {
        lock (_planLock)
        {
            if (_pendingPlan is null) return false;
            Plan = _pendingPlan;
            PlanRevision = _pendingRevision;
            _pendingPlan = null;
            return true;
        }
    }

    /// <summary>Prompt length in tokens.</summary>
    public int PromptTokens => Prompt.Length;

    /// <summary>Generated tokens, in order; completes when the sequence ends (with the error or cancellation that ended it).</summary>
    public ChannelReader<ServedToken> Tokens => _tokens.Reader;

    /// <summary>The finished generation; cancelled or faulted like the sequence.</summary>
    public Task<GenerationResult> Completion => _completion.Task;

    /// <summary>Streams the tokens; throws the error or cancellation that ended the sequence.</summary>
    public async IAsyncEnumerable<ServedToken> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var t in _tokens.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false)) yield return t;
        await _completion.Task.ConfigureAwait(false);
    }

    internal void Emit(ServedToken token) => _tokens.Writer.TryWrite(token);

    internal void Complete(GenerationResult result)
    {
        _tokens.Writer.TryComplete();
        _completion.TrySetResult(result);
    }

    internal void Fail(Exception error)
    {
        if (error is OperationCanceledException oce)
        {
            _tokens.Writer.TryComplete(oce);
            _completion.TrySetCanceled(oce.CancellationToken);
            return;
        }
        _tokens.Writer.TryComplete(error);
        _completion.TrySetException(error);
    }
}
