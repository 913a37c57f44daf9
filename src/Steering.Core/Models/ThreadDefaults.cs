namespace LlamaSteer.Models;

/// <summary>
/// Thread counts that do not busy-wait. ggml's default of 4 threads on a 2-core machine made a tiny
/// model's decode take 200-500 ms instead of 0.14 ms: worker threads spin while waiting for work
/// that takes microseconds. Tiny models get 1 thread; larger ones one per core.
/// </summary>
public static class ThreadDefaults
{
    /// <summary>Below this many parameters, per-token work is too small to share between threads.</summary>
    public const ulong SmallModelParameters = 20_000_000;

    /// <summary>The default thread count for a model of this size on this machine.</summary>
    public static int For(ulong parameterCount) =>
        parameterCount < SmallModelParameters ? 1 : Math.Clamp(Environment.ProcessorCount, 1, 16);
}
