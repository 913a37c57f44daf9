using System.Numerics.Tensors;
using LlamaSteer.Generation;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Prompts;
using LlamaSteer.Steering;

namespace LlamaSteer.Evaluation;

/// <summary>
/// A token sequence to score under a steering plan. Logits are read at positions
/// <see cref="ScoreFrom"/>-1 .. n-2, each predicting the token after it (so tokens ScoreFrom .. n-1 are scored).
/// </summary>
public sealed record ScoredSequence(int[] Tokens, SteeringPlan Plan, int ScoreFrom = 1)
{
    /// <summary>A prepared prompt of pieces (steering tokens where <see cref="Tokens"/> holds <see cref="PreparedPrompt.EmbeddingSlot"/>).</summary>
    public ScoredSequence(PreparedPrompt prompt, SteeringPlan plan, int scoreFrom = 1) : this(prompt.Tokens, plan, scoreFrom) => Rows = prompt.Rows;

    /// <summary>Input embedding rows by position, for positions fed as steering tokens; null or empty when all are token ids.</summary>
    public IReadOnlyDictionary<int, float[]>? Rows { get; init; }
}

/// <summary>Sees the logits of one scored position: the sequence's index in the request, the position, the row.</summary>
public delegate void LogitsVisitor(int sequence, int position, ReadOnlySpan<float> logits);

/// <summary>
/// Decodes many sequences, each with its own steering plan, in shared batches (sequence i of a wave
/// holds request i, plans never affect each other: see <see cref="PlanHook"/>), and hands the logits of
/// the wanted positions to a visitor. This is how a sweep measures every (layer, strength) cell in one
/// pass instead of one decode per setting. Creates its own context per call (with the evaluation
/// callback); not thread-safe.
/// </summary>
public sealed class SteeredScorer(LlamaModel model, int? threads = null)
{
    /// <summary>
    /// Most tokens held in the KV cache at once; more sequences run in further waves. The cache is shared
    /// (unified) by the sequences of a wave and every token attends over all of its cells (masked to its own
    /// sequence), so the attention cost grows with the wave: small models, where attention dominates,
    /// want small waves.
    /// </summary>
    public int MaxContextTokens { get; init; } = 2048;

    /// <summary>Most tokens per decode.</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>Most sequences decoded together.</summary>
    public int MaxSequences { get; init; } = 64;

    /// <summary>
    /// log p(tokens[k] | tokens[..k]) for k = ScoreFrom .. n-1 of every sequence (natural log), in request order.
    /// </summary>
    /// <exception cref="ArgumentException">An empty sequence, a ScoreFrom outside 1..n-1, or an invalid plan (checked before decoding).</exception>
    public IReadOnlyList<double[]> NextTokenLogProbs(IReadOnlyList<ScoredSequence> sequences, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var result = sequences.Select(s => new double[Math.Max(0, s.Tokens.Length - s.ScoreFrom)]).ToArray();
        var scratch = new float[model.VocabularySize];
        Visit(sequences, (seq, pos, logits) =>
        {
            var s = sequences[seq];
            result[seq][pos + 1 - s.ScoreFrom] = LogSoftmaxAt(logits, s.Tokens[pos + 1], scratch);
        }, cancellationToken);
        return result;
    }

    /// <summary>Hands the logits of every scored position (ScoreFrom-1 .. n-2 of each sequence) to <paramref name="visit"/>.</summary>
    /// <exception cref="ArgumentException">As for <see cref="NextTokenLogProbs"/>.</exception>
    public void ScoredLogits(IReadOnlyList<ScoredSequence> sequences, LogitsVisitor visit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        Visit(sequences, visit, cancellationToken);
    }

    /// <summary>Hands the logits after the last token of each sequence to <paramref name="visit"/> (ScoreFrom is ignored).</summary>
    public void LastLogits(IReadOnlyList<(int[] Tokens, SteeringPlan Plan)> sequences, LogitsVisitor visit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        Visit(sequences.Select(s => new ScoredSequence(s.Tokens, s.Plan, Math.Max(1, s.Tokens.Length))).ToList(), visit, cancellationToken, lastOnly: true);
    }

    /// <summary>log p(positive) - log p(negative) of the next token after each sequence (which may hold steering tokens; ScoreFrom is ignored).</summary>
    public double[] LogProbDifferences(IReadOnlyList<ScoredSequence> sequences, ProbeTokens probe, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var result = new double[sequences.Count];
        Visit(sequences.Select(s => s with { ScoreFrom = Math.Max(1, s.Tokens.Length) }).ToList(),
            (seq, _, logits) => result[seq] = ConceptEffect.LogProbDifference(logits, probe), cancellationToken, lastOnly: true);
        return result;
    }

    /// <summary>Hands the logits after the last position of each sequence (which may hold steering tokens) to <paramref name="visit"/>.</summary>
    public void LastLogits(IReadOnlyList<ScoredSequence> sequences, LogitsVisitor visit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        Visit(sequences.Select(s => s with { ScoreFrom = Math.Max(1, s.Tokens.Length) }).ToList(), visit, cancellationToken, lastOnly: true);
    }

    /// <summary>Mean log p(positive) - log p(negative) of the next token after each sequence.</summary>
    public double[] LogProbDifferences(IReadOnlyList<(int[] Tokens, SteeringPlan Plan)> sequences, ProbeTokens probe, CancellationToken cancellationToken = default)
    {
        var result = new double[sequences.Count];
        LastLogits(sequences, (seq, _, logits) => result[seq] = ConceptEffect.LogProbDifference(logits, probe), cancellationToken);
        return result;
    }

    /// <summary>log softmax(logits)[token], with <paramref name="scratch"/> at least as long as the logits.</summary>
    public static double LogSoftmaxAt(ReadOnlySpan<float> logits, int token, Span<float> scratch)
    {
        var max = TensorPrimitives.Max(logits);
        var work = scratch[..logits.Length];
        TensorPrimitives.Subtract(logits, max, work);
        TensorPrimitives.Exp(work, work);
        var sum = 0.0;
        foreach (var v in work) sum += v;
        return logits[token] - max - Math.Log(sum);
    }

    private void Visit(IReadOnlyList<ScoredSequence> sequences, LogitsVisitor visit, CancellationToken ct, bool lastOnly = false)
    {
        if (sequences.Count == 0) return;
        for (var i = 0; i < sequences.Count; i++)
        {
            var s = sequences[i];
            if (s.Tokens.Length == 0) throw new ArgumentException($"Sequence {i} to score is empty.");
            if (!lastOnly && (s.ScoreFrom < 1 || s.ScoreFrom > s.Tokens.Length))
                throw new ArgumentException($"Sequence {i} has {s.Tokens.Length} tokens; ScoreFrom {s.ScoreFrom} is outside 1..{s.Tokens.Length}.");
            s.Plan.Validate(model.EmbeddingSize, model.LayerCount, Math.Max(MaxContextTokens, s.Tokens.Length));
            var rows = s.Rows ?? new Dictionary<int, float[]>();
            for (var k = 0; k < s.Tokens.Length; k++)
            {
                if (s.Tokens[k] != PreparedPrompt.EmbeddingSlot) continue;
                if (!rows.TryGetValue(k, out var row) || row.Length != model.EmbeddingSize)
                    throw new ArgumentException($"Sequence {i} has a steering token at position {k} without a row of n_embd {model.EmbeddingSize} floats.");
                if (!lastOnly && k >= s.ScoreFrom) throw new ArgumentException($"Sequence {i} scores position {k}, which is a steering token.");
            }
        }

        var longest = sequences.Max(s => s.Tokens.Length);
        var contextSize = Math.Max(longest, Math.Min(MaxContextTokens, sequences.Sum(s => s.Tokens.Length)));
        var maxSequences = Math.Min(Math.Min(MaxSequences, sequences.Count), BatchSize);
        using var ctx = model.CreateContext(new ContextOptions
        {
            Threads = threads,
            ContextSize = Math.Max(contextSize, 8),
            BatchSize = Math.Max(BatchSize, maxSequences),
            MaxSequences = maxSequences,
            EnableGraphHooks = true,
        });
        using var lease = ctx.Acquire(ct);
        var start = 0;
        while (start < sequences.Count)
        {
            // A wave: as many sequences as fit the context and the sequence limit.
            var end = start;
            var tokens = 0;
            while (end < sequences.Count && end - start < maxSequences && tokens + sequences[end].Tokens.Length <= ctx.Size)
                tokens += sequences[end++].Tokens.Length;
            // The context holds the longest sequence by construction; a wave of none would never end.
            if (end == start) throw new InvalidOperationException($"Sequence {start} of {sequences[start].Tokens.Length} tokens does not fit the scorer's context of {ctx.Size} cells.");
            RunWave(lease, sequences, start, end, visit, lastOnly, ct);
            start = end;
        }
    }

    private static void RunWave(ContextLease lease, IReadOnlyList<ScoredSequence> sequences, int start, int end, LogitsVisitor visit, bool lastOnly, CancellationToken ct)
    {
        lease.ClearMemory();
        var wave = Enumerable.Range(start, end - start).Select(i => sequences[i]).ToList();
        using var steering = SteeringBinding.Install(lease, wave.Select(s => (s.Plan, s.Tokens.Length)).ToList());
        var batchSize = lease.Context.BatchSize;
        var batch = new TokenBatch();
        var outputs = new List<(int Sequence, int Position, int Index)>();
        var (seq, pos) = (0, 0);
        while (seq < wave.Count)
        {
            ct.ThrowIfCancellationRequested();
            batch.Clear();
            outputs.Clear();
            while (seq < wave.Count && batch.Count < batchSize)
            {
                var s = wave[seq];
                var output = lastOnly ? pos == s.Tokens.Length - 1 : pos >= s.ScoreFrom - 1 && pos < s.Tokens.Length - 1;
                // A switch between token ids and steering tokens ends the batch: llama.cpp takes one kind per decode.
                var embedding = s.Tokens[pos] == PreparedPrompt.EmbeddingSlot;
                if (!batch.Accepts(embedding)) break;
                var index = embedding ? batch.AddEmbedding(s.Rows![pos], pos, seq, output) : batch.Add(s.Tokens[pos], pos, seq, output);
                if (output) outputs.Add((seq, pos, index));
                if (++pos == s.Tokens.Length) (seq, pos) = (seq + 1, 0);
            }
            TextGenerator.Check(lease.Decode(batch, steering.For(batch)));
            foreach (var (sq, p, index) in outputs) visit(start + sq, p, lease.Logits(index));
        }
        lease.ClearMemory();
    }
}
