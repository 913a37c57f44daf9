namespace LlamaSteer.Native.SafeHandles;

/// <summary>Expected outcomes of <c>llama_decode</c>; real failures throw instead.</summary>
public enum DecodeStatus
{
    /// <summary>Decoded.</summary>
    Ok = 0,
    /// <summary>No KV-cache slot for the batch (return code 1): free memory or use a smaller batch.</summary>
    NoKvSlot = 1,
    /// <summary>The abort callback stopped the decode (return code 2); processed tokens stay in memory.</summary>
    Aborted = 2,
}
