using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LLama;
using LLama.Abstractions;
using LLama.Exceptions;
using LLama.Extensions;
using LLama.Native;
using LLama.Sampling;
using LlamaSteer.Inference;
using LlamaSteer.LLamaSharp.Interop;
using LlamaSteer.Steering;

namespace LlamaSteer.LLamaSharp.Plans;

/// <summary>
/// A LLamaSharp context created on a raw handle with LlamaSteer's evaluation callback, and a small decode loop of its
/// own that steers every token by a <see cref="SteeringPlan"/> (windows, ablate, clamp, CLAS, layer 0) with LlamaSteer's
/// semantics (<see cref="PlanSchedule"/>), sampling with any LLamaSharp <see cref="ISamplingPipeline"/>. A plan of
/// static adds on every token goes through llama.cpp's control vector instead, as <c>llamasteer generate</c> does.
/// One generation at a time (later calls wait); the context is not shared with LLamaSharp's executors. Dispose to free it;
/// disposal waits for a generation under way to finish (cancel it first to stop it sooner).
/// </summary>
public sealed class SteeringContext : IDisposable, IAsyncDisposable
{
    private readonly LLamaWeights _model;
    private readonly PlanSchedule _schedule;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private GCHandle _self;
    private Exception? _callbackError;
    private bool _scheduleActive;
    private bool _disposed;
    private readonly int _batchSize;

    private unsafe SteeringContext(LLamaWeights model, IContextParams parameters)
    {
        GgmlBase.EnsureBound();
        _model = model;
        _schedule = new PlanSchedule(model.NativeHandle.LayerCount, model.EmbeddingSize);
        _self = GCHandle.Alloc(this, GCHandleType.Weak);
        parameters.ToLlamaContextParams(out var native);
        // The schedule maps rows by their index in the batch: llama.cpp must not split a batch into smaller ubatches.
        native.n_ubatch = native.n_batch;
        native.cb_eval = (IntPtr)(delegate* unmanaged<IntPtr, byte, IntPtr, byte>)&OnEval;
        native.cb_eval_user_data = GCHandle.ToIntPtr(_self);
        try
        {
            Handle = SafeLLamaContextHandle.Create(model.NativeHandle, native);
            Size = checked((int)Handle.ContextSize);
            _batchSize = checked((int)Handle.BatchSize);
        }
        catch
        {
            _self.Free();
            throw;
        }
    }

    /// <summary>The native context (owned by this object): for LLamaSharp calls between generations, never during one.</summary>
    public SafeLLamaContextHandle Handle { get; }

    /// <summary>Tokens the context holds.</summary>
    public int Size { get; }

    /// <summary>
    /// Creates the context with <paramref name="parameters"/> (context size, batch size, threads, ...). The ubatch size is
    /// set to the batch size, since the callback steers rows by their index in the batch.
    /// </summary>
    public static SteeringContext Create(LLamaWeights model, IContextParams parameters)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(parameters);
        return new SteeringContext(model, parameters);
    }

    /// <summary>
    /// Generates a continuation of <paramref name="prompt"/> (BOS added as the model asks) steered by <paramref name="plan"/>:
    /// streams the text of each token, stops at an end-of-generation token, after <paramref name="maxTokens"/> tokens, or
    /// when the context is full. The memory is cleared first, so generations do not see each other.
    /// </summary>
    /// <exception cref="ArgumentException">An empty prompt, a prompt that does not fit the context, or a plan invalid for the model (LlamaSteer's messages).</exception>
    /// <exception cref="LLamaDecodeError">llama.cpp failed to decode.</exception>
    public async IAsyncEnumerable<string> GenerateAsync(string prompt, SteeringPlan plan, ISamplingPipeline sampler, int maxTokens = 128,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        if (prompt.Length == 0) throw new ArgumentException("The prompt is empty.", nameof(prompt));
        plan.Validate(_model.EmbeddingSize, _model.NativeHandle.LayerCount, Size);
        var tokens = _model.Tokenize(prompt, true, false, System.Text.Encoding.UTF8);
        if (tokens.Length == 0) throw new ArgumentException("The prompt produced no tokens.", nameof(prompt));
        if (tokens.Length >= Size)
            throw new ArgumentException($"The prompt has {tokens.Length} tokens but the context holds {Size}; shorten the prompt or use a larger context.");

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Handle.MemoryClear(true);
            sampler.Reset();
            var usesControlVector = plan.IsStaticAdd && !plan.IsEmpty;
            if (usesControlVector)
                SteeringExtensions.Apply(Handle, ControlVectors.From(plan.Terms.Select(t => new VectorTerm(t.Vector, t.Strength, t.Layers, t.Name)).ToList(),
                    _model.EmbeddingSize, _model.NativeHandle.LayerCount));
            var plans = usesControlVector || plan.IsEmpty
                ? new Dictionary<int, SequenceSteering>()
                : new Dictionary<int, SequenceSteering> { [0] = new(plan, tokens.Length) };
            try
            {
                var run = new DecodeRun(this, plans);
                for (var next = 0; next < tokens.Length;)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    run.Clear();
                    for (; next < tokens.Length && run.Count < _batchSize; next++) run.Add(tokens[next], next, next == tokens.Length - 1);
                    await run.DecodeAsync(cancellationToken).ConfigureAwait(false);
                }

                var decoder = new StreamingTokenDecoder(System.Text.Encoding.UTF8, _model);
                var position = tokens.Length;
                for (var generated = 0; generated < maxTokens; generated++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var token = sampler.Sample(Handle, run.Count - 1);
                    if (token.IsEndOfGeneration(_model.Vocab)) yield break;
                    decoder.Add(token);
                    var piece = decoder.Read();
                    if (piece.Length > 0) yield return piece;
                    // The last token is not fed back: nothing would read its logits, or the context is full (as llamasteer
                    // does, the last position is left free).
                    if (generated + 1 == maxTokens || position >= Size - 1) yield break;
                    run.Clear();
                    run.Add(token, position++, output: true);
                    await run.DecodeAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                if (usesControlVector) SteeringExtensions.Clear(Handle);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Frees the context once no generation runs.</summary>
    public void Dispose()
    {
        _gate.Wait();
        Free();
    }

    /// <inheritdoc cref="Dispose"/>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        Free();
    }

    // Called holding the gate; a later generation gets in and finds the context disposed.
    private void Free()
    {
        try
        {
            if (_disposed) return;
            _disposed = true;
            Handle.Dispose();
            if (_self.IsAllocated) _self.Free();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>One decode's tokens, kept both as LLamaSharp's batch and as the <see cref="TokenBatch"/> the schedule plans rows with.</summary>
    private sealed class DecodeRun(SteeringContext owner, IReadOnlyDictionary<int, SequenceSteering> plans)
    {
        private readonly LLamaBatch _batch = new();
        private readonly TokenBatch _rows = new();

        public int Count => _rows.Count;

        public void Clear()
        {
            _batch.Clear();
            _rows.Clear();
        }

        public void Add(LLamaToken token, int position, bool output)
        {
            _batch.Add(token, position, LLamaSeqId.Zero, output);
            _rows.Add((int)token, position, 0, output);
        }

        public Task DecodeAsync(CancellationToken cancellationToken) => Task.Run(() =>
        {
            owner._schedule.Prepare(_rows, plans);
            owner._scheduleActive = owner._schedule.HasWork;
            owner._callbackError = null;
            DecodeResult result;
            try
            {
                result = owner.Handle.Decode(_batch);
            }
            finally
            {
                owner._scheduleActive = false;
            }
            if (owner._callbackError is { } e) throw new InvalidOperationException($"Steering failed during the decode: {e.Message}", e);
            if (result != DecodeResult.Ok) throw new LLamaDecodeError(result);
        }, cancellationToken);
    }

    [UnmanagedCallersOnly]
    private static byte OnEval(IntPtr tensor, byte ask, IntPtr userData)
    {
        SteeringContext? self = null;
        try
        {
            self = GCHandle.FromIntPtr(userData).Target as SteeringContext;
            if (self is null || !self._scheduleActive) return ask != 0 ? (byte)0 : (byte)1;
            var t = new CallbackTensor(tensor);
            if (ask != 0) return self._schedule.Wants(t.ResidualLayer) ? (byte)1 : (byte)0;
            self._schedule.Apply(t.ResidualLayer, t);
            return 1;
        }
        catch (Exception e)
        {
            // Never unwind into native code: stop the graph and re-throw after the decode returns.
            if (self is not null) self._callbackError = e;
            return 0;
        }
    }
}
