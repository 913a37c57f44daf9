using System.Text;
using LlamaSteer.Models;
using LlamaSteer.Sampling;

namespace LlamaSteer.Generation;

/// <summary>
/// The state of one generating sequence: its sampler, UTF-8 assembly, stop strings, counters. Given the
/// logits after its last token, <see cref="Step"/> picks the next token and says whether to feed it back.
/// Shared by the single-sequence and the batched generators. Not thread-safe.
/// </summary>
internal sealed class SequenceRun : IDisposable
{
    private readonly LlamaModel _model;
    private readonly GenerationOptions _options;
    private readonly TokenSampler _sampler;
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private readonly StopStringFilter _filter;
    private readonly int _contextSize;
    private char[] _chars = new char[64];

    public SequenceRun(LlamaModel model, int[] prompt, GenerationOptions options, int contextSize, GenerationStats stats)
    {
        _model = model;
        _options = options;
        _contextSize = contextSize;
        Prompt = prompt;
        Stats = stats;
        Stats.PromptTokens = prompt.Length;
        Stats.StopReason = StopReason.MaxTokens;
        Position = prompt.Length;
        _sampler = new TokenSampler(options.Sampling, model.VocabularySize);
        foreach (var t in prompt)
            if (t >= 0) _sampler.Accept(t); // steering tokens (embedding rows) have no id to penalise
        _filter = new StopStringFilter(options.StopStrings);
    }

    public int[] Prompt { get; }
    public GenerationStats Stats { get; }
    public List<int> Tokens { get; } = [];
    public StringBuilder Text { get; } = new();

    /// <summary>The position the next fed-back token takes.</summary>
    public int Position { get; private set; }

    public bool Finished { get; private set; }

    /// <summary>
    /// Chooses the next token. Returns the piece to emit (null when the sequence ended on an
    /// end-of-generation token) and whether the token must be decoded to continue.
    /// </summary>
    public (GeneratedToken? Piece, bool Feed) Step(ReadOnlySpan<float> logits)
    {
        var token = _sampler.Sample(logits);
        if (_model.IsEndOfGeneration(token))
        {
            Finish(StopReason.EndOfGeneration);
            var rest = _filter.Flush();
            return (rest.Length > 0 ? Emit(-1, rest) : null, false);
        }
        Stats.GeneratedTokens++;
        Tokens.Add(token);
        var bytes = _model.TokenBytes(token);
        if (_chars.Length < bytes.Length * 2) _chars = new char[bytes.Length * 2];
        var count = _decoder.GetChars(bytes, 0, bytes.Length, _chars, 0, flush: false);
        var (emit, stopped) = _filter.Push(new string(_chars, 0, count));
        if (stopped)
        {
            Finish(StopReason.StopString);
            return (Emit(token, emit), false);
        }
        if (Position >= _contextSize - 1)
        {
            Finish(StopReason.ContextFull);
            return (Emit(token, emit + _filter.Flush()), false);
        }
        if (Tokens.Count >= _options.MaxTokens)
        {
            Finish(StopReason.MaxTokens);
            return (Emit(token, emit + _filter.Flush()), false);
        }
        Position++;
        return (Emit(token, emit), true);
    }

    private GeneratedToken Emit(int token, string text)
    {
        Text.Append(text);
        return new GeneratedToken(token, text);
    }

    private void Finish(StopReason reason)
    {
        Finished = true;
        Stats.StopReason = reason;
    }

    public GenerationResult Result() => new(Text.ToString(), Tokens.ToArray(), Stats);

    public void Dispose() => _sampler.Dispose();
}
