namespace LlamaSteer.Generation;

/// <summary>Why generation ended.</summary>
public enum StopReason { MaxTokens, EndOfGeneration, StopString, ContextFull }

/// <summary>One generated token and the text it completed (empty while a UTF-8 character or a possible stop string is pending).</summary>
public readonly record struct GeneratedToken(int Token, string Text);

/// <summary>Counters and timings of one generation, filled while it runs.</summary>
public sealed class GenerationStats
{
    public int PromptTokens { get; internal set; }
    public int GeneratedTokens { get; internal set; }
    public TimeSpan PrefillTime { get; internal set; }
    public TimeSpan DecodeTime { get; internal set; }
    public StopReason StopReason { get; internal set; }

    /// <summary>Generated tokens per second of decode time (sampling included, prefill excluded).</summary>
    public double DecodeTokensPerSecond => DecodeTime > TimeSpan.Zero ? GeneratedTokens / DecodeTime.TotalSeconds : 0;

    public double PrefillTokensPerSecond => PrefillTime > TimeSpan.Zero ? PromptTokens / PrefillTime.TotalSeconds : 0;
}

/// <summary>A finished generation.</summary>
public sealed record GenerationResult(string Text, IReadOnlyList<int> Tokens, GenerationStats Stats);
