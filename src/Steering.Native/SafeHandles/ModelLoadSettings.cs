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
    /// Keys and values stored as F32 (<c>type_k</c>, <c>type_v</c>) instead of F16, and flash attention off
    /// (<c>flash_attn_type</c>), whose CPU kernel rounds to F16: attention then computes in F32 throughout.
    /// </summary>
    public bool ExactAttention { get; init; }
}
