using LlamaSteer.Errors;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Native.SafeHandles;
using LlamaSteer.Steering;

namespace LlamaSteer.Capture;

/// <summary>Progress of a capture: samples done of the total, tokens processed.</summary>
public readonly record struct CaptureProgress(int SamplesDone, int SamplesTotal, long Tokens);

/// <summary>
/// Runs samples through the model and captures the residual stream after chosen layers. Samples are
/// packed into as few llama_decode calls as fit (one sequence each), the memory is cleared between
/// packs, and the graph stops after the deepest wanted layer. Owns its context; not thread-safe.
/// </summary>
public sealed class ActivationCapturer : IDisposable
{
    private readonly LlamaModel _model;
    private readonly InferenceContext _context;

    /// <param name="maxTokensPerDecode">Tokens per packed decode (also the longest sample accepted).</param>
    /// <param name="maxSequencesPerDecode">Samples per packed decode.</param>
    public ActivationCapturer(LlamaModel model, int? threads = null, int maxTokensPerDecode = 512, int maxSequencesPerDecode = 64)
    {
        _model = model;
        _context = model.CreateContext(new ContextOptions
        {
            ContextSize = Math.Max(maxTokensPerDecode, 64),
            BatchSize = maxTokensPerDecode,
            MaxSequences = Math.Min(maxSequencesPerDecode, maxTokensPerDecode),
            Threads = threads,
            EnableGraphHooks = true,
        });
    }

    public InferenceContext Context => _context;

    /// <summary>Captures <paramref name="layers"/> for every item.</summary>
    /// <exception cref="ArgumentException">An empty or too-long sample, or layers outside the model.</exception>
    public CapturedActivations Capture(
        IReadOnlyList<CaptureItem> items,
        LayerSet layers,
        CapturePositions positions,
        IProgress<CaptureProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0) throw new ArgumentException("Nothing to capture: no samples.");
        layers.CheckAgainst(_model.LayerCount);
        for (var i = 0; i < items.Count; i++)
        {
            items[i].Validate(i);
            if (items[i].Tokens.Length > _context.BatchSize)
                throw new ContextOverflowException($"Sample {i} has {items[i].Tokens.Length} tokens; at most {_context.BatchSize} fit in one decode. Shorten it or raise the capture batch size.");
        }

        var embd = _model.EmbeddingSize;
        // Destination rows: one per sample, or one per completion token.
        var rowStart = new int[items.Count];
        var rowSample = new List<int>();
        for (var i = 0; i < items.Count; i++)
        {
            rowStart[i] = rowSample.Count;
            var n = positions == CapturePositions.AllTokens ? items[i].Tokens.Length - items[i].CompletionStart : 1;
            for (var k = 0; k < n; k++) rowSample.Add(i);
        }
        var rows = layers.Layers.ToDictionary(l => l, _ => new float[rowSample.Count * embd]);
        var hook = new ResidualCaptureHook(layers, _model.LayerCount, embd);
        var lastLayerWanted = layers.Contains(_model.LayerCount - 1);

        var batch = new TokenBatch();
        var targets = new List<int>();
        var weights = new List<float>();
        var outputs = new List<int>();
        long tokens = 0;
        using var lease = _context.Acquire(cancellationToken);
        var next = 0;
        while (next < items.Count)
        {
            cancellationToken.ThrowIfCancellationRequested();
            batch.Clear();
            targets.Clear();
            weights.Clear();
            outputs.Clear();
            var first = next;
            while (next < items.Count && next - first < _context.MaxSequences && batch.Count + items[next].Tokens.Length <= _context.BatchSize)
            {
                var item = items[next];
                var seq = next - first;
                var n = item.Tokens.Length;
                var completion = n - item.CompletionStart;
                for (var p = 0; p < n; p++)
                {
                    var (target, weight) = positions switch
                    {
                        CapturePositions.LastToken => p == n - 1 ? (rowStart[next], 1f) : (-1, 0f),
                        CapturePositions.CompletionMean => p >= item.CompletionStart ? (rowStart[next], 1f / completion) : (-1, 0f),
                        _ => p >= item.CompletionStart ? (rowStart[next] + p - item.CompletionStart, 1f) : (-1, 0f),
                    };
                    // The last layer's l_out only holds output rows, so rows it must give are marked as outputs.
                    var output = lastLayerWanted && target >= 0;
                    if (output) outputs.Add(batch.Count);
                    batch.Add(item.Tokens[p], p, seq, output);
                    targets.Add(target);
                    weights.Add(weight);
                }
                next++;
            }
            hook.EntryTarget = targets.ToArray();
            hook.EntryWeight = weights.ToArray();
            hook.OutputEntries = outputs.ToArray();
            hook.Accumulators.Clear();
            foreach (var (l, r) in rows) hook.Accumulators[l] = r;
            lease.ClearMemory();
            var status = lease.Decode(batch, hook);
            if (status != DecodeStatus.Ok) throw new DecodeException($"Capture decode returned {status}.", (int)status);
            tokens += batch.Count;
            progress?.Report(new CaptureProgress(next, items.Count, tokens));
        }
        lease.ClearMemory();
        return new CapturedActivations(layers, embd, rowSample.ToArray(), rows, positions);
    }

    public void Dispose() => _context.Dispose();
}
