namespace LlamaSteer.Planning;

/// <summary>What a run will ask of llama.cpp, for <see cref="MemoryEstimate.For(string, MemoryRequest)"/>: the context it creates.</summary>
/// <param name="ContextSize">Context length in tokens (llama.cpp pads it up to a multiple of 256).</param>
/// <param name="MaxSequences">Sequences decoded together (each needs an output row).</param>
/// <param name="BatchSize">Tokens per decode (n_batch = n_ubatch here); sizes the compute buffer.</param>
/// <param name="SteeringLayers">Layers that carry a control vector (n_embd floats each, beside the layer's weights).</param>
public sealed record MemoryRequest(int ContextSize, int MaxSequences = 1, int BatchSize = 512, int SteeringLayers = 0)
{
    internal void Validate()
    {
        if (ContextSize < 8) throw new ArgumentOutOfRangeException(nameof(ContextSize), ContextSize, "The context must hold at least 8 tokens.");
        if (MaxSequences < 1) throw new ArgumentOutOfRangeException(nameof(MaxSequences), MaxSequences, "At least one sequence.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "The batch size must be at least 1.");
        if (SteeringLayers < 0) throw new ArgumentOutOfRangeException(nameof(SteeringLayers), SteeringLayers, "Steering layers cannot be negative.");
    }
}
