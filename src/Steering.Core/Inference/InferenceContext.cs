using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using LlamaSteer.Errors;
using LlamaSteer.Limits;
using LlamaSteer.Models;
using LlamaSteer.Native.Runtime;
using LlamaSteer.Native.SafeHandles;

namespace LlamaSteer.Inference;

/// <summary>
/// A llama.cpp context: KV cache for up to <see cref="MaxSequences"/> sequences, compute buffers,
/// logits of the last decode.
/// </summary>
/// <remarks>
/// Thread safety: llama.cpp requires one thread at a time per context (the KV cache, the output
/// buffer and the graph scheduler are mutable state without locks). Every public member therefore
/// takes an exclusive gate; concurrent callers queue instead of racing. For several steps that must
/// not interleave (prefill, then sample, then decode ...) take a <see cref="ContextLease"/> with
/// <see cref="Acquire"/>/<see cref="AcquireAsync"/>. Disposal waits for the running call.
/// </remarks>
public sealed class InferenceContext : IDisposable, IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SafeLlamaContextHandle _handle;
    private readonly SafeLlamaBatchHandle _batch;
    private SafeLlamaBatchHandle? _embeddingBatch;
    private GCHandle _self;
    private IGraphHook? _activeHook;
    private Exception? _hookError;
    private bool _disposed;

    internal InferenceContext(LlamaModel model, ContextOptions options)
    {
        options.Validate();
        Model = model;
        Options = options;
        var size = options.ContextSize ?? Math.Min(model.Info.TrainedContextLength > 0 ? model.Info.TrainedContextLength : 4096, 4096);
        Threads = options.Threads ?? ThreadDefaults.For(model.Info.ParameterCount);
        // Before llama.cpp allocates: a huge context would otherwise be allocated until the kernel kills the process.
        ResourceLimits.CheckContext(model.Info, size, options.MaxSequences, options.ContextBeyondTrained);
        var batch = Math.Min(options.BatchSize, size);
        // llama.cpp reserves max(outputs, n_seq_max) output rows and asserts (aborting the process)
        // when that exceeds n_batch, so the combination is refused here.
        if (options.MaxSequences > batch)
            throw new ArgumentException($"{options.MaxSequences} sequences do not fit a batch of {batch} tokens; use at most {batch} sequences or a larger batch.");
        var settings = new ContextSettings((uint)size, (uint)batch, (uint)batch, (uint)options.MaxSequences, Threads, Threads)
        {
            ExactAttention = options.ExactAttention,
        };
        if (options.EnableGraphHooks)
        {
            _self = GCHandle.Alloc(this, GCHandleType.Weak);
            settings = settings with { EvalCallback = GraphHookDispatcher.Pointer, EvalCallbackUserData = GCHandle.ToIntPtr(_self) };
        }
        try
        {
            _handle = model.Handle.CreateContext(settings);
        }
        catch (NativeCallException e)
        {
            if (_self.IsAllocated) _self.Free();
            throw new LlamaSteerException($"Could not create a context of {size} tokens: {e.Message}", e);
        }
        Size = _handle.ContextSize;
        BatchSize = _handle.BatchSize;
        MaxSequences = _handle.MaxSequences;
        _batch = SafeLlamaBatchHandle.Create(BatchSize, MaxSequences);
    }

    public LlamaModel Model { get; }

    public ContextOptions Options { get; }

    /// <summary>Context length in tokens.</summary>
    public int Size { get; }

    /// <summary>Most tokens per decode call.</summary>
    public int BatchSize { get; }

    public int MaxSequences { get; }

    public int Threads { get; }

    internal IGraphHook? ActiveHook => _activeHook;

    internal void RecordHookError(Exception e) => _hookError ??= e;

    /// <summary>Takes the context exclusively until the lease is disposed.</summary>
    public ContextLease Acquire(CancellationToken cancellationToken = default)
    {
        _gate.Wait(cancellationToken);
        return Enter();
    }

    /// <inheritdoc cref="Acquire"/>
    public async ValueTask<ContextLease> AcquireAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return Enter();
    }

    private ContextLease Enter()
    {
        if (_disposed)
        {
            _gate.Release();
            throw new ObjectDisposedException(nameof(InferenceContext));
        }
        return new ContextLease(this);
    }

    internal void Leave() => _gate.Release();

    /// <summary>Decodes a batch under the gate. See <see cref="ContextLease.Decode"/>.</summary>
    public DecodeStatus Decode(TokenBatch batch, IGraphHook? hook = null)
    {
        using var lease = Acquire();
        return lease.Decode(batch, hook);
    }

    /// <summary>A copy of the logits of the batch entry <paramref name="batchIndex"/> of the last decode.</summary>
    public float[] CopyLogits(int batchIndex)
    {
        using var lease = Acquire();
        return lease.Logits(batchIndex).ToArray();
    }

    /// <summary>Empties the KV cache of every sequence.</summary>
    public void ClearMemory()
    {
        using var lease = Acquire();
        lease.ClearMemory();
    }

    internal DecodeStatus DecodeUnderLease(TokenBatch batch, IGraphHook? hook)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) throw new ArgumentException("The batch is empty.", nameof(batch));
        if (batch.Count > BatchSize)
            throw new ContextOverflowException($"The batch has {batch.Count} tokens but one decode takes at most {BatchSize}; split it.");
        if (hook is not null && !Options.EnableGraphHooks)
            throw new InvalidOperationException("This context was created without EnableGraphHooks; graph hooks cannot run on it.");
        var native = batch.HoldsEmbeddings ? _embeddingBatch ??= SafeLlamaBatchHandle.CreateEmbeddings(BatchSize, Model.EmbeddingSize, MaxSequences) : _batch;
        native.Clear();
        Span<int> seq = stackalloc int[1];
        foreach (var e in batch.Entries)
        {
            if (e.Sequence >= MaxSequences)
                throw new ArgumentException($"Sequence {e.Sequence} is out of range: this context holds {MaxSequences} sequence(s).", nameof(batch));
            if (e.Position >= Size)
                throw new ContextOverflowException($"Position {e.Position} is beyond the context of {Size} tokens.");
            seq[0] = e.Sequence;
            if (e.Embedding is { } row)
            {
                if (row.Length != Model.EmbeddingSize)
                    throw new ArgumentException($"An embedding row of {row.Length} floats for a model of n_embd {Model.EmbeddingSize}.", nameof(batch));
                native.AddEmbedding(row, e.Position, seq, e.Output);
                continue;
            }
            if ((uint)e.Token >= (uint)Model.VocabularySize)
                throw new ArgumentException($"Token {e.Token} is not in the vocabulary of {Model.VocabularySize}.", nameof(batch));
            native.Add(e.Token, e.Position, seq, e.Output);
        }
        _activeHook = hook;
        _hookError = null;
        try
        {
            var status = _handle.Decode(native);
            if (_hookError is { } error) ExceptionDispatchInfo.Capture(error).Throw();
            return status;
        }
        catch (NativeCallException e)
        {
            throw new DecodeException(e.Message, -1);
        }
        finally
        {
            _activeHook = null;
        }
    }

    internal SafeLlamaContextHandle Handle => _handle;

    public void Dispose()
    {
        _gate.Wait();
        DisposeCore();
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        DisposeCore();
    }

    private void DisposeCore()
    {
        try
        {
            if (_disposed) return;
            _disposed = true;
            _batch.Dispose();
            _embeddingBatch?.Dispose();
            _handle.Dispose();
            if (_self.IsAllocated) _self.Free();
        }
        finally
        {
            _gate.Release();
        }
    }
}
