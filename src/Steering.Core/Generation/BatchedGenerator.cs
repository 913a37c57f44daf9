using System.Diagnostics;
using LlamaSteer.Errors;
using LlamaSteer.Inference;
using LlamaSteer.Prompts;
using LlamaSteer.Steering;

namespace LlamaSteer.Generation;

/// <summary>One prompt to generate for, with its own options and steering.</summary>
public sealed record GenerationRequest(string Prompt, GenerationOptions Options)
{
    /// <summary>A prompt of pieces (text and steering tokens); <see cref="Prompt"/> is its readable form.</summary>
    public GenerationRequest(Prompt pieces, GenerationOptions options) : this(pieces?.ToString() ?? throw new ArgumentNullException(nameof(pieces)), options) => Pieces = pieces;

    /// <summary>The prompt as pieces, when it holds steering tokens; null for a plain text prompt.</summary>
    public Prompt? Pieces { get; }
}

/// <summary>
/// Generates for several requests at once in one context: sequence i holds request i, prompts are
/// prefilled together, then every step decodes one token of every unfinished sequence in a single
/// llama_decode. Each request keeps its own sampler, stop strings and steering plan; plans of different
/// sequences never affect each other (see <see cref="PlanHook"/>). Holds the context exclusively.
/// </summary>
public sealed class BatchedGenerator(InferenceContext context)
{
    public InferenceContext Context { get; } = context;

    /// <summary>Runs every request to its end; results are in request order.</summary>
    /// <exception cref="ArgumentException">More requests than the context's sequences, or an invalid request or plan (checked before any decoding).</exception>
    /// <exception cref="ContextOverflowException">A prompt that does not fit.</exception>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (requests.Count == 0) return [];
        if (requests.Count > Context.MaxSequences)
            throw new ArgumentException($"{requests.Count} requests but the context decodes at most {Context.MaxSequences} sequences together.");
        var prompts = requests.Select(r => r.Pieces is { } pieces
            ? TextGenerator.PrepareTokens(Context, pieces, r.Options)
            : new PreparedPrompt(TextGenerator.PrepareTokens(Context, r.Prompt, r.Options), new Dictionary<int, float[]>())).ToArray();
        if (prompts.Select(p => p.IsEmbedding(p.Length - 1)).Distinct().Count() > 1)
            throw new ArgumentException("Some prompts end in a steering token and others in text; batched prompts must end in the same kind (their last positions decode together).");
        if (prompts.Sum(p => p.Length) > Context.Size)
            throw new ContextOverflowException($"The prompts have {prompts.Sum(p => p.Length)} tokens together but the context holds {Context.Size}.");
        var plans = requests.Select(r => r.Options.EffectivePlan()).ToArray();

        using var lease = Context.Acquire(cancellationToken);
        lease.ClearMemory();
        using var steering = SteeringBinding.Install(lease, plans.Select((p, i) => (p, prompts[i].Length)).ToList());
        var runs = requests.Select((r, i) => new SequenceRun(Context.Model, prompts[i].Tokens, r.Options, Context.Size, new GenerationStats())).ToArray();
        try
        {
            var batch = new TokenBatch();
            var logitsIndex = new int[runs.Length];
            var watch = Stopwatch.StartNew();
            Prefill(lease, steering, batch, prompts, logitsIndex, cancellationToken);
            var prefill = watch.Elapsed;
            foreach (var r in runs) r.Stats.PrefillTime = prefill;

            watch.Restart();
            while (runs.Any(r => !r.Finished))
            {
                cancellationToken.ThrowIfCancellationRequested();
                batch.Clear();
                for (var s = 0; s < runs.Length; s++)
                {
                    if (runs[s].Finished) continue;
                    var (_, feed) = runs[s].Step(lease.Logits(logitsIndex[s]));
                    if (feed) logitsIndex[s] = batch.Add(runs[s].Tokens[^1], runs[s].Position - 1, s, output: true);
                    else
                    {
                        runs[s].Stats.DecodeTime = watch.Elapsed;
                        lease.RemoveTokens(s);
                        steering.Remove(s);
                    }
                }
                if (batch.Count > 0) TextGenerator.Check(lease.Decode(batch, steering.For(batch)));
            }
            return runs.Select(r => r.Result()).ToArray();
        }
        finally
        {
            foreach (var r in runs) r.Dispose();
            lease.ClearMemory();
        }
    }

    /// <summary>
    /// Packs every prompt but its last token into as few decodes as fit, then decodes all last tokens in
    /// one batch: llama.cpp keeps only the last decode's logits, so every sequence's first next-token
    /// logits must come from the same decode.
    /// </summary>
    private void Prefill(ContextLease lease, SteeringBinding steering, TokenBatch batch, PreparedPrompt[] prompts, int[] logitsIndex, CancellationToken ct)
    {
        var s = 0;
        var next = 0;
        while (s < prompts.Length)
        {
            ct.ThrowIfCancellationRequested();
            batch.Clear();
            while (s < prompts.Length && batch.Count < Context.BatchSize)
            {
                var body = prompts[s].Length - 1;
                // A switch between token ids and steering tokens ends the batch: llama.cpp takes one kind per decode.
                if (next < body && prompts[s].TryAdd(batch, next, next, s, output: false) < 0) break;
                if (next < body) next++;
                if (next >= body)
                {
                    s++;
                    next = 0;
                }
            }
            if (batch.Count > 0) TextGenerator.Check(lease.Decode(batch, steering.For(batch)));
        }
        batch.Clear();
        for (var i = 0; i < prompts.Length; i++) logitsIndex[i] = prompts[i].TryAdd(batch, prompts[i].Length - 1, prompts[i].Length - 1, i, output: true);
        TextGenerator.Check(lease.Decode(batch, steering.For(batch)));
    }
}
