using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using LlamaSteer.Errors;
using LlamaSteer.Inference;
using LlamaSteer.Native.SafeHandles;
using LlamaSteer.Prompts;

namespace LlamaSteer.Generation;

/// <summary>
/// Generates text for one prompt on sequence 0 of a context: prefill in batch-size chunks, then one
/// token per decode, steered by the options' vectors and plan. Holds the context exclusively while it
/// runs; the context's memory is cleared first. Decoding happens on the thread that iterates;
/// cancellation is checked between tokens.
/// </summary>
public sealed class TextGenerator(InferenceContext context)
{
    public InferenceContext Context { get; } = context;

    /// <summary>Streams the generated text piece by piece.</summary>
    /// <exception cref="ArgumentException">Empty prompt, invalid options or an invalid plan.</exception>
    /// <exception cref="ContextOverflowException">The prompt does not fit in the context.</exception>
    public async IAsyncEnumerable<GeneratedToken> StreamAsync(
        string prompt,
        GenerationOptions options,
        GenerationStats? stats = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var tokens = new PreparedPrompt(PrepareTokens(Context, prompt, options), new Dictionary<int, float[]>());
        using var lease = await Context.AcquireAsync(cancellationToken).ConfigureAwait(false);
        foreach (var t in Run(lease, tokens, options, stats ?? new GenerationStats(), cancellationToken))
            yield return t;
    }

    /// <summary>Streams the generated text for a prompt of pieces (text and steering tokens).</summary>
    /// <exception cref="ArgumentException">Invalid options, or a steering token of the wrong width.</exception>
    /// <exception cref="ContextOverflowException">The prompt does not fit in the context.</exception>
    public async IAsyncEnumerable<GeneratedToken> StreamAsync(
        Prompt prompt,
        GenerationOptions options,
        GenerationStats? stats = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var tokens = PrepareTokens(Context, prompt, options);
        using var lease = await Context.AcquireAsync(cancellationToken).ConfigureAwait(false);
        foreach (var t in Run(lease, tokens, options, stats ?? new GenerationStats(), cancellationToken))
            yield return t;
    }

    /// <summary>Generates to the end and returns the text, tokens and timings.</summary>
    public GenerationResult Generate(string prompt, GenerationOptions options, CancellationToken cancellationToken = default) =>
        Generate(new PreparedPrompt(PrepareTokens(Context, prompt, options), new Dictionary<int, float[]>()), options, cancellationToken);

    /// <summary>Generates for a prompt of pieces (text and steering tokens) to the end.</summary>
    /// <exception cref="ArgumentException">Invalid options, or a steering token of the wrong width.</exception>
    /// <exception cref="ContextOverflowException">The prompt does not fit in the context.</exception>
    public GenerationResult Generate(Prompt prompt, GenerationOptions options, CancellationToken cancellationToken = default) =>
        Generate(PrepareTokens(Context, prompt, options), options, cancellationToken);

    private GenerationResult Generate(PreparedPrompt tokens, GenerationOptions options, CancellationToken cancellationToken)
    {
        var stats = new GenerationStats();
        var text = new StringBuilder();
        var generated = new List<int>();
        using (var lease = Context.Acquire(cancellationToken))
        {
            foreach (var t in Run(lease, tokens, options, stats, cancellationToken))
            {
                text.Append(t.Text);
                if (t.Token >= 0) generated.Add(t.Token);
            }
        }
        return new GenerationResult(text.ToString(), generated, stats);
    }

    internal static int[] PrepareTokens(InferenceContext context, string prompt, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (prompt.Length == 0) throw new ArgumentException("The prompt is empty.", nameof(prompt));
        var tokens = context.Model.Tokenize(prompt, options.AddSpecialTokens, options.ParseSpecialTokens);
        if (tokens.Length == 0) throw new ArgumentException("The prompt produced no tokens.", nameof(prompt));
        if (tokens.Length >= context.Size)
            throw new ContextOverflowException($"The prompt has {tokens.Length} tokens but the context holds {context.Size}; shorten the prompt or use a larger context.");
        return tokens;
    }

    internal static PreparedPrompt PrepareTokens(InferenceContext context, Prompt prompt, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var prepared = prompt.Prepare(context.Model, options.AddSpecialTokens, options.ParseSpecialTokens);
        if (prepared.Length >= context.Size)
            throw new ContextOverflowException($"The prompt has {prepared.Length} positions (text and steering tokens) but the context holds {context.Size}; shorten the prompt or use a larger context.");
        return prepared;
    }

    private IEnumerable<GeneratedToken> Run(ContextLease lease, PreparedPrompt prompt, GenerationOptions options, GenerationStats stats, CancellationToken ct)
    {
        lease.ClearMemory();
        using var steering = SteeringBinding.Install(lease, [(options.EffectivePlan(), prompt.Length)]);
        using var run = new SequenceRun(Context.Model, prompt.Tokens, options, Context.Size, stats);
        var batch = new TokenBatch();

        var watch = Stopwatch.StartNew();
        // Chunks of at most a batch, cut where the prompt switches between token ids and steering tokens.
        for (var next = 0; next < prompt.Length;)
        {
            ct.ThrowIfCancellationRequested();
            batch.Clear();
            while (next < prompt.Length && batch.Count < Context.BatchSize && prompt.TryAdd(batch, next, next, 0, next == prompt.Length - 1) >= 0) next++;
            Check(lease.Decode(batch, steering.For(batch)));
        }
        stats.PrefillTime = watch.Elapsed;

        watch.Restart();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var (piece, feed) = run.Step(lease.Logits(-1));
            if (feed)
            {
                batch.Clear();
                batch.Add(run.Tokens[^1], run.Position - 1, 0, output: true);
                Check(lease.Decode(batch, steering.For(batch)));
            }
            watch.Stop();
            stats.DecodeTime = watch.Elapsed;
            if (piece is { } p) yield return p;
            if (run.Finished) yield break;
            watch.Start();
        }
    }

    internal static void Check(DecodeStatus status)
    {
        if (status != DecodeStatus.Ok)
            throw new DecodeException($"llama_decode returned {status}: the KV cache has no room for this batch.", (int)status);
    }
}
