using LlamaSteer.Errors;
using LlamaSteer.Generation;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Steering;

namespace LlamaSteer.Serving;

/// <summary>
/// Serves many generation requests from one context with continuous batching: the context has
/// <see cref="SchedulerOptions.Slots"/> sequence slots, requests wait in a bounded queue and are admitted as
/// slots free up, new prompts prefill in chunks of <see cref="SchedulerOptions.PrefillChunk"/> tokens inside
/// the same decodes that advance every running sequence by one token, and every decode carries each
/// sequence's own steering plan through one <see cref="PlanHook"/> (sequences never affect each other).
/// A cancelled request leaves its slot at the next step.
/// </summary>
/// <remarks>
/// Thread safety: <see cref="Submit"/> and the counters may be used from any thread. All decoding runs on one
/// dedicated thread that holds the context's lease for the scheduler's whole life, because llama.cpp allows one
/// thread at a time per context. Dispose (or <see cref="StopAsync"/>) ends that thread; the scheduler owns the context.
/// </remarks>
public sealed class ContinuousBatchScheduler : IAsyncDisposable
{
    private readonly object _lock = new();
    private readonly Queue<ServedSequence> _queue = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ActiveSequence?[] _slots;
    private readonly Dictionary<int, SequenceSteering> _plans = new();
    private readonly PlanHook _hook;
    private readonly InferenceContext _context;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _active;
    private bool _stopping;
    private volatile bool _abort;

    /// <summary>Creates the context (with the evaluation callback) and starts the decoding thread.</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    /// <exception cref="LlamaSteerException">llama.cpp could not create the context.</exception>
    public ContinuousBatchScheduler(LlamaModel model, SchedulerOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Model = model;
        Options = options;
        var trained = model.Info.TrainedContextLength > 0 ? model.Info.TrainedContextLength : 2048;
        SlotContext = options.SlotContext ?? Math.Min(trained, 2048);
        _context = model.CreateContext(new ContextOptions
        {
            ContextSize = SlotContext * options.Slots,
            MaxSequences = options.Slots,
            BatchSize = Math.Max(512, options.Slots),
            Threads = options.Threads,
            EnableGraphHooks = true,
        });
        _slots = new ActiveSequence?[options.Slots];
        _hook = new PlanHook(model.LayerCount, model.EmbeddingSize);
        _thread = new Thread(Loop) { IsBackground = true, Name = "llamasteer-scheduler" };
        _thread.Start();
    }

    public LlamaModel Model { get; }

    public SchedulerOptions Options { get; }

    /// <summary>Tokens one sequence may hold, prompt and generation together.</summary>
    public int SlotContext { get; }

    /// <summary>Threads the context decodes with.</summary>
    public int Threads => _context.Threads;

    /// <summary>Requests waiting for a slot.</summary>
    public int QueueDepth { get { lock (_lock) return _queue.Count; } }

    /// <summary>Sequences holding a slot.</summary>
    public int ActiveSequences => Volatile.Read(ref _active);

    /// <summary>Free slots right now.</summary>
    public int FreeSlots => Options.Slots - ActiveSequences;

    /// <summary>
    /// Validates and queues a request. Its tokens stream on the returned sequence; cancelling
    /// <paramref name="cancellationToken"/> ends it and frees its slot.
    /// </summary>
    /// <exception cref="ArgumentException">An empty prompt, invalid options or an invalid plan.</exception>
    /// <exception cref="ContextOverflowException">The prompt does not fit in a slot.</exception>
    /// <exception cref="QueueFullException">Every slot is busy and the queue is full.</exception>
    /// <exception cref="SchedulerStoppedException">The scheduler is stopping.</exception>
    public ServedSequence Submit(ServingRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Options);
        request.Options.Validate();
        if (request.TokenInterval < TimeSpan.Zero || request.TokenInterval > TimeSpan.FromSeconds(10))
            throw new ArgumentOutOfRangeException(nameof(request.TokenInterval), request.TokenInterval, "The token interval must be between 0 and 10 seconds.");
        if (request.TopLogprobs is < 0 or > 20) throw new ArgumentOutOfRangeException(nameof(request.TopLogprobs), request.TopLogprobs, "top_logprobs must be between 0 and 20.");
        lock (_lock)
            if (_stopping) throw new SchedulerStoppedException();
        if (string.IsNullOrEmpty(request.Prompt)) throw new ArgumentException("The prompt is empty.", nameof(request));
        var tokens = Model.Tokenize(request.Prompt, request.Options.AddSpecialTokens, request.Options.ParseSpecialTokens);
        if (tokens.Length == 0) throw new ArgumentException("The prompt produced no tokens.", nameof(request));
        if (tokens.Length >= SlotContext)
            throw new ContextOverflowException($"The prompt has {tokens.Length} tokens but a slot holds {SlotContext}; shorten the prompt.");
        var plan = request.Options.EffectivePlan().Validate(Model.EmbeddingSize, Model.LayerCount, SlotContext);
        var sequence = new ServedSequence(tokens, request, plan, cancellationToken) { Scheduler = this };
        lock (_lock)
        {
            if (_stopping) throw new SchedulerStoppedException();
            if (_queue.Count + _active >= Options.Slots + Options.QueueLimit) throw new QueueFullException(Options.QueueLimit);
            _queue.Enqueue(sequence);
        }
        _wake.Release();
        return sequence;
    }

    /// <summary>
    /// Replaces the plan of a queued or running sequence. The decoding thread takes it between two decodes, so every
    /// token produced before the hand-off was steered by the old plan and every token after it by the new one (the KV
    /// cache already written keeps the old plan's effect, as a window ending there would); tokens carry the plan's
    /// revision in <see cref="ServedToken.PlanRevision"/>. Thread-safe; a second call before the hand-off replaces the first.
    /// </summary>
    /// <returns>The revision tokens produced under the new plan will carry.</returns>
    /// <exception cref="ArgumentException">An invalid plan (the same checks as at submit).</exception>
    /// <exception cref="InvalidOperationException">The sequence has finished, or belongs to another scheduler.</exception>
    public int ReplacePlan(ServedSequence sequence, SteeringPlan plan)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        ArgumentNullException.ThrowIfNull(plan);
        if (!ReferenceEquals(sequence.Scheduler, this)) throw new InvalidOperationException("The sequence belongs to another scheduler.");
        plan.Validate(Model.EmbeddingSize, Model.LayerCount, SlotContext);
        if (sequence.IsFinished) throw new InvalidOperationException("The generation has already finished; its plan can no longer change.");
        var revision = sequence.OfferPlan(plan);
        _wake.Release();
        return revision;
    }

    /// <summary>Submits and streams the tokens' text pieces.</summary>
    public async IAsyncEnumerable<GeneratedToken> StreamAsync(ServingRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var sequence = Submit(request, cancellationToken);
        await foreach (var t in sequence.ReadAllAsync(cancellationToken).ConfigureAwait(false)) yield return t.Piece;
    }

    /// <summary>Submits and waits for the whole result.</summary>
    public Task<GenerationResult> GenerateAsync(ServingRequest request, CancellationToken cancellationToken = default) =>
        Submit(request, cancellationToken).Completion;

    /// <summary>
    /// Stops taking requests, lets queued and running ones finish for up to <paramref name="grace"/>, then
    /// cancels the rest and ends the decoding thread.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        lock (_lock) _stopping = true;
        _wake.Release();
        if (await Task.WhenAny(_stopped.Task, Task.Delay(grace)).ConfigureAwait(false) != _stopped.Task)
        {
            _abort = true;
            _wake.Release();
        }
        await _stopped.Task.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        await _context.DisposeAsync().ConfigureAwait(false);
        _wake.Dispose();
    }

    private void Loop()
    {
        try
        {
            using var lease = _context.Acquire();
            lease.ClearMemory();
            var batch = new TokenBatch();
            while (true)
            {
                if (_abort)
                {
                    FailAll(lease, new OperationCanceledException("The server stopped before the request finished."));
                    return;
                }
                Admit();
                DropCancelled(lease);
                if (Volatile.Read(ref _active) == 0)
                {
                    lock (_lock)
                        if (_stopping && _queue.Count == 0) return;
                    _wake.Wait();
                    continue;
                }
                try
                {
                    if (!Step(lease, batch))
                    {
                        // Every running sequence is paced and none is due yet: sleep until the first is (or a request arrives).
                        var wait = _slots.Where(s => s is { Feeding: true }).Select(s => s!.Due - s.Clock.Elapsed).DefaultIfEmpty(TimeSpan.Zero).Min();
                        if (wait > TimeSpan.Zero) _wake.Wait(wait);
                    }
                }
                catch (Exception e)
                {
                    // A failed decode ends the sequences it carried, not the server.
                    FailAll(lease, e);
                }
            }
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private void Admit()
    {
        lock (_lock)
        {
            for (var slot = 0; slot < _slots.Length && _queue.Count > 0; slot++)
            {
                if (_slots[slot] is not null) continue;
                var next = _queue.Dequeue();
                if (next.CancellationToken.IsCancellationRequested)
                {
                    next.Fail(new OperationCanceledException(next.CancellationToken));
                    slot--;
                    continue;
                }
                var run = new SequenceRun(Model, next.Prompt, next.Request.Options, SlotContext, new GenerationStats());
                var wake = next.CancellationToken.Register(static w => ((SemaphoreSlim)w!).Release(), _wake);
                _slots[slot] = new ActiveSequence(slot, next, run, wake);
                if (!next.Plan.IsEmpty) _plans[slot] = new SequenceSteering(next.Plan, next.Prompt.Length);
                _active++;
            }
            // Requests cancelled while waiting leave the queue without waiting for a slot.
            if (_queue.Any(q => q.CancellationToken.IsCancellationRequested))
            {
                var keep = _queue.Where(q => !q.CancellationToken.IsCancellationRequested).ToList();
                foreach (var q in _queue.Where(q => q.CancellationToken.IsCancellationRequested)) q.Fail(new OperationCanceledException(q.CancellationToken));
                _queue.Clear();
                foreach (var q in keep) _queue.Enqueue(q);
            }
        }
    }

    private void DropCancelled(ContextLease lease)
    {
        foreach (var a in _slots)
            if (a is not null && a.Sequence.CancellationToken.IsCancellationRequested)
                Release(lease, a, () => a.Sequence.Fail(new OperationCanceledException(a.Sequence.CancellationToken)));
    }

    /// <summary>One decode: a token of every sequence that is generating (and due), plus up to a chunk of waiting prompts. False when there was nothing to decode.</summary>
    private bool Step(ContextLease lease, TokenBatch batch)
    {
        batch.Clear();
        // Plans replaced since the last decode take effect here, between two decodes.
        foreach (var a in _slots)
            if (a is not null && a.Sequence.TakePlan())
            {
                if (a.Sequence.Plan.IsEmpty) _plans.Remove(a.Slot);
                else _plans[a.Slot] = new SequenceSteering(a.Sequence.Plan, a.Sequence.Prompt.Length);
            }
        foreach (var a in _slots)
            if (a is { Feeding: true } && a.Due <= a.Clock.Elapsed) a.LogitsIndex = batch.Add(a.Run.Tokens[^1], a.Run.Position - 1, a.Slot, output: true);
        var budget = Math.Min(Options.PrefillChunk, _context.BatchSize - batch.Count);
        foreach (var a in _slots.Where(s => s is { Prefilling: true }).OrderByDescending(s => s!.Clock.Elapsed))
        {
            if (budget <= 0) break;
            var prompt = a!.Sequence.Prompt;
            var take = Math.Min(prompt.Length - a.Prefilled, budget);
            var last = a.Prefilled + take == prompt.Length;
            var index = batch.AddSequence(prompt.AsSpan(a.Prefilled, take), a.Prefilled, a.Slot, outputLast: last);
            if (last) a.LogitsIndex = index;
            a.Prefilled += take;
            budget -= take;
        }
        if (batch.Count == 0) return false;
        _hook.Prepare(batch, _plans);
        TextGenerator.Check(lease.Decode(batch, _hook.HasWork ? _hook : null));

        foreach (var a in _slots)
        {
            if (a is null || a.LogitsIndex < 0) continue;
            var logits = lease.Logits(a.LogitsIndex);
            if (a.Run.Tokens.Count == 0) a.Run.Stats.PrefillTime = a.Clock.Elapsed;
            var (piece, feed) = a.Run.Step(logits);
            if (piece is { } p)
            {
                var logprob = a.Sequence.Request.TopLogprobs is { } top && p.Token >= 0 ? Logprobs.For(logits, p.Token, top) : null;
                a.Sequence.Emit(new ServedToken(p, logprob, _hook.HasWork ? _hook.Report(a.LogitsIndex) : null, a.Sequence.PlanRevision));
            }
            a.LogitsIndex = -1;
            a.Feeding = feed;
            a.Due = a.Clock.Elapsed + a.Sequence.Request.TokenInterval;
            if (!feed)
            {
                a.Run.Stats.DecodeTime = a.Clock.Elapsed - a.Run.Stats.PrefillTime;
                var result = a.Run.Result();
                Release(lease, a, () => a.Sequence.Complete(result));
            }
        }
        return true;
    }

    private void FailAll(ContextLease lease, Exception error)
    {
        foreach (var a in _slots)
            if (a is not null) Release(lease, a, () => a.Sequence.Fail(error));
        lock (_lock)
            while (_queue.Count > 0) _queue.Dequeue().Fail(error);
    }

    /// <summary>Empties the slot's KV cells and frees it, then tells the caller (after the slot is free, so a waiting request can take it).</summary>
    private void Release(ContextLease lease, ActiveSequence a, Action notify)
    {
        lease.RemoveTokens(a.Slot);
        _plans.Remove(a.Slot);
        a.Dispose();
        lock (_lock)
        {
            _slots[a.Slot] = null;
            _active--;
        }
        notify();
    }
}
