using LlamaSteer.Native.SafeHandles;

namespace LlamaSteer.Sampling;

/// <summary>
/// A llama.cpp sampler chain built from <see cref="SamplingOptions"/>, with the state of one sequence
/// (RNG, penalty history). Not thread-safe.
/// </summary>
public sealed class TokenSampler : IDisposable
{
    private readonly SafeLlamaSamplerHandle _chain;

    /// <summary>Builds penalties → (greedy | top-k → top-p → min-p → temperature → dist).</summary>
    public TokenSampler(SamplingOptions options, int vocabularySize)
    {
        options.Validate();
        Options = options;
        _chain = SafeLlamaSamplerHandle.CreateChain();
        if ((options.RepeatPenalty != 1.0f || options.FrequencyPenalty != 0 || options.PresencePenalty != 0) && options.RepeatLastN > 0)
            _chain.AddPenalties(vocabularySize, options.RepeatLastN, options.RepeatPenalty, options.FrequencyPenalty, options.PresencePenalty);
        if (options.Temperature == 0)
        {
            _chain.AddGreedy();
            return;
        }
        if (options.TopK > 0) _chain.AddTopK(options.TopK);
        if (options.TopP < 1) _chain.AddTopP(options.TopP);
        if (options.MinP > 0) _chain.AddMinP(options.MinP);
        _chain.AddTemperature(options.Temperature);
        _chain.AddDistribution(options.Seed ?? (uint)Random.Shared.Next());
    }

    public SamplingOptions Options { get; }

    /// <summary>Chooses the next token from a logits row and records it in the chain's history.</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        var token = _chain.Choose(logits);
        _chain.Accept(token);
        return token;
    }

    /// <summary>Records a token the sampler did not choose (e.g. prompt tokens for the penalty window).</summary>
    public void Accept(int token) => _chain.Accept(token);

    public void Dispose() => _chain.Dispose();
}
