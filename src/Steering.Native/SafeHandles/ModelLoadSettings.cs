namespace LlamaSteer.Native.SafeHandles;

/// <summary>The subset of <c>llama_model_params</c> LlamaSteer sets.</summary>
public sealed record ModelLoadSettings(int GpuLayers = 0, bool UseMmap = true, bool CheckTensors = false, bool VocabOnly = false);

/// <summary>The subset of <c>llama_context_params</c> LlamaSteer sets.</summary>
public sealed record ContextSettings(
    uint ContextSize,
    uint BatchSize,
    uint MicroBatchSize,
    uint MaxSequences,
    int Threads,
    int BatchThreads,
    bool UnifiedKvCache = true)
{
    /// <summary>Evaluation callback (<c>cb_eval</c>): a <c>delegate* unmanaged&lt;IntPtr, byte, IntPtr, byte&gt;</c> or zero.</summary>
    public IntPtr EvalCallback { get; init; }

    /// <summary>The user data passed to <see cref="EvalCallback"/>.</summary>
    public IntPtr EvalCallbackUserData { get; init; }

    /// <summary>
    /// Keep the KV cache in F32 (type_k/type_v) without flash attention, so logits match a graph computed in F32
    /// (the default F16 cache differs by about 1e-2).
    /// </summary>
    public bool FullPrecisionKv { get; init; }
}
