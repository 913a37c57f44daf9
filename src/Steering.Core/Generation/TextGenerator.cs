using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using LlamaSteer.Errors;
using LlamaSteer.Inference;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;

namespace LlamaSteer.Generation;

/// <summary>
/// Generates text for one prompt on sequence 0 of a context: prefill in batch-size chunks, then one
/// token per decode. Holds the context exclusively while it runs; the context's memory is cleared
/// first. Decoding happens on the thread that iterates; cancellation is checked between tokens.
/// </summary>
public sealed class TextGenerator(InferenceContext context)
{
    public InferenceContext Context { get; } = context;

    /// <summary>Streams the generated text piece by piece.</summary>
    /// <exception cref="ArgumentException">Empty prompt or invalid options.</exception>
    /// <exception cref="ContextOverflowException">The prompt does not fit in the context.</exception>
    public async IAsyncEnumerable<GeneratedToken> StreamAsync(
        string prompt,
        GenerationOptions options,
        GenerationStats? stats = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var tokens = PrepareTokens(prompt, options);
        using var lease = await Context.AcquireAsync(cancellationToken).ConfigureAwait(false);
        foreach (var t in Run(lease, tokens, options, stats ?? new GenerationStats(), cancellationToken))
            yield return t;
    }

    /// <summary>Generates to the end and returns the text, tokens and timings.</summary>
    public GenerationResult Generate(string prompt, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        var tokens = PrepareTokens(prompt, options);
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

    private int[] PrepareTokens(string prompt, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (prompt.Length == 0) throw new ArgumentException("The prompt is empty.", nameof(prompt));
        var tokens = Context.Model.Tokenize(prompt, options.AddSpecialTokens, options.ParseSpecialTokens);
        if (tokens.Length == 0) throw new ArgumentException("The prompt produced no tokens.", nameof(prompt));
        if (tokens.Length >= Context.Size)
            throw new ContextOverflowException($"The prompt has {tokens.Length} tokens but the context holds {Context.Size}; shorten the prompt or use a larger context.");
        return tokens;
    }

    private IEnumerable<GeneratedToken> Run(ContextLease lease, int[] prompt, GenerationOptions options, GenerationStats stats, CancellationToken ct)
    {
        var model = Context.Model;
        using var sampler = new TokenSampler(options.Sampling, model.VocabularySize);
        stats.PromptTokens = prompt.Length;
        lease.ClearMemory();
        var steering = ControlVectorAdapter.Build(options.Vectors, model.EmbeddingSize, model.LayerCount);
        lease.SetControlVector(steering.Data, steering.FirstLayer, steering.LastLayer);
        try
        {
            foreach (var t in Decode(lease, prompt, options, stats, sampler, ct)) yield return t;
        }
        finally
        {
            if (steering.Data.Length > 0) lease.SetControlVector([], -1, -1);
        }
    }

    private IEnumerable<GeneratedToken> Decode(ContextLease lease, int[] prompt, GenerationOptions options, GenerationStats stats, TokenSampler sampler, CancellationToken ct)
    {
        var model = Context.Model;
        var decoder = Encoding.UTF8.GetDecoder();
        var filter = new StopStringFilter(options.StopStrings);
        var batch = new TokenBatch();

        var watch = Stopwatch.StartNew();
        for (var start = 0; start < prompt.Length; start += Context.BatchSize)
        {
            ct.ThrowIfCancellationRequested();
            var chunk = prompt.AsSpan(start, Math.Min(Context.BatchSize, prompt.Length - start));
            batch.Clear();
            batch.AddSequence(chunk, start, 0, outputLast: start + chunk.Length == prompt.Length);
            Check(lease.Decode(batch));
        }
        stats.PrefillTime = watch.Elapsed;
        foreach (var t in prompt) sampler.Accept(t);

        watch.Restart();
        var position = prompt.Length;
        var chars = new char[64];
        stats.StopReason = StopReason.MaxTokens;
        for (var n = 0; n < options.MaxTokens; n++)
        {
            ct.ThrowIfCancellationRequested();
            var token = sampler.Sample(lease.Logits(-1));
            if (model.IsEndOfGeneration(token))
            {
                stats.StopReason = StopReason.EndOfGeneration;
                break;
            }
            stats.GeneratedTokens++;
            var bytes = model.TokenBytes(token);
            var count = decoder.GetChars(bytes, 0, bytes.Length, chars.Length < bytes.Length * 2 ? chars = new char[bytes.Length * 2] : chars, 0, flush: false);
            var (emit, stopped) = filter.Push(new string(chars, 0, count));
            if (stopped)
            {
                stats.StopReason = StopReason.StopString;
                watch.Stop();
                stats.DecodeTime = watch.Elapsed;
                yield return new GeneratedToken(token, emit);
                yield break;
            }
            if (position >= Context.Size - 1)
            {
                stats.StopReason = StopReason.ContextFull;
                watch.Stop();
                stats.DecodeTime = watch.Elapsed;
                yield return new GeneratedToken(token, emit + filter.Flush());
                yield break;
            }
            if (n + 1 < options.MaxTokens)
            {
                batch.Clear();
                batch.Add(token, position++, 0, output: true);
                Check(lease.Decode(batch));
            }
            watch.Stop();
            stats.DecodeTime = watch.Elapsed;
            yield return new GeneratedToken(token, emit);
            watch.Start();
        }
        watch.Stop();
        stats.DecodeTime = watch.Elapsed;
        var rest = filter.Flush();
        if (rest.Length > 0) yield return new GeneratedToken(-1, rest);
    }

    private static void Check(Native.SafeHandles.DecodeStatus status)
    {
        if (status != Native.SafeHandles.DecodeStatus.Ok)
            throw new DecodeException($"llama_decode returned {status}: the KV cache has no room for this batch.", (int)status);
    }
}
