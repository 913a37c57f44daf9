using LlamaSteer.Errors;
using LlamaSteer.Models;

namespace LlamaSteer.Limits;

/// <summary>
/// The bounds on inputs that cost memory or time, in one place: threads against cores, the context against the
/// model's trained length and the memory its KV cache would take, generations per evaluation, the size of a
/// synthetic model against free disk space. Every verb's <c>--help</c> states them from these constants.
/// </summary>
public static class ResourceLimits
{
    /// <summary>Most generations one evaluation may sample (cells x prompts x samples), and most samples per prompt.</summary>
    public const int MaxEvaluationGenerations = 1_000_000, MaxSamplesPerPrompt = 10_000;

    /// <summary>Largest model <c>gguf-tools synth</c> writes: 64 GiB.</summary>
    public const long MaxSyntheticModelBytes = 64L << 30;

    /// <summary>Share of the available memory (or free disk) a KV cache (or a written file) may take.</summary>
    public const double UsableShare = 0.8;

    /// <summary>Processors this process may use.</summary>
    public static int Cores => Environment.ProcessorCount;

    /// <summary>Refuses more threads than cores (they busy-wait and the run crawls or hangs), unless <paramref name="beyondCores"/>.</summary>
    /// <exception cref="ArgumentException">Too many threads.</exception>
    public static void CheckThreads(int threads, bool beyondCores)
    {
        if (threads < 1) throw new ArgumentException($"--threads must be at least 1 (got {threads}).");
        if (threads > Cores && !beyondCores)
            throw new ArgumentException($"--threads {threads} is more than the {Cores} cores of this machine; ggml's threads busy-wait, so that only slows the run down (pass --threads-beyond-cores to insist).");
    }

    /// <summary>Bytes of an F16 KV cache of <paramref name="contextSize"/> cells for the model (keys and values of every layer).</summary>
    public static long KvCacheBytes(ModelInfo model, long contextSize)
    {
        var heads = Math.Max(1, model.HeadCount);
        var kvWidth = (long)model.EmbeddingSize / heads * Math.Max(1, model.KvHeadCount);
        return 2L * model.LayerCount * contextSize * kvWidth * sizeof(ushort);
    }

    /// <summary>
    /// Refuses a context whose share per sequence is beyond the model's trained length (unless
    /// <paramref name="beyondTrained"/>) and one whose KV cache would not fit in the memory available now.
    /// </summary>
    /// <exception cref="ArgumentException">Longer than trained, or beyond llama.cpp's limit.</exception>
    /// <exception cref="LlamaSteerException">The KV cache would not fit in memory.</exception>
    public static void CheckContext(ModelInfo model, long contextSize, int sequences, bool beyondTrained)
    {
        if (contextSize > int.MaxValue / 2) throw new ArgumentException($"--context {contextSize:N0} is beyond what llama.cpp can address.");
        var perSequence = contextSize / Math.Max(1, sequences);
        if (model.TrainedContextLength > 0 && perSequence > model.TrainedContextLength && !beyondTrained)
            throw new ArgumentException($"--context {contextSize:N0} is longer than the {model.TrainedContextLength:N0} tokens the model was trained on (pass --context-beyond-trained to insist).");
        var bytes = KvCacheBytes(model, contextSize);
        if (AvailableMemoryBytes() is { } available && bytes > available * UsableShare)
            throw new LlamaSteerException($"A context of {contextSize:N0} tokens needs a KV cache of {Mib(bytes)} but only {Mib(available)} of memory is available; use a smaller --context.");
    }

    /// <summary>Memory available to this process now: MemAvailable of /proc/meminfo, capped by the GC's limit (a container's); null if unknown.</summary>
    public static long? AvailableMemoryBytes()
    {
        long? limit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes is > 0 and var total ? total : null;
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                var kib = long.Parse(line["MemAvailable:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                return limit is { } l ? Math.Min(l, kib * 1024) : kib * 1024;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // Not Linux, or no /proc: the GC's figure is all there is.
        }
        return limit;
    }

    /// <summary>Refuses a file of <paramref name="bytes"/> larger than <paramref name="maximum"/> or than the free space of the folder it goes to.</summary>
    /// <exception cref="ArgumentException">Beyond the maximum.</exception>
    /// <exception cref="IOException">Beyond the free disk space.</exception>
    public static void CheckFileFits(string path, long bytes, long maximum)
    {
        if (bytes > maximum) throw new ArgumentException($"{path} would take {Mib(bytes)}, more than the {Mib(maximum)} this tool writes.");
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        long free;
        try
        {
            free = new DriveInfo(folder).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return;
        }
        if (bytes > free * UsableShare)
            throw new IOException($"{path} would take {Mib(bytes)} but only {Mib(free)} is free on its disk.");
    }

    /// <summary>Refuses an evaluation that would sample more generations than <see cref="MaxEvaluationGenerations"/>.</summary>
    /// <exception cref="ArgumentException">Too many samples.</exception>
    public static void CheckGenerations(long cells, long prompts, long samplesPerPrompt)
    {
        if (samplesPerPrompt is < 0 or > MaxSamplesPerPrompt)
            throw new ArgumentException($"--samples must be from 0 to {MaxSamplesPerPrompt:N0} (got {samplesPerPrompt:N0}).");
        var total = cells * prompts * samplesPerPrompt;
        if (total > MaxEvaluationGenerations)
            throw new ArgumentException($"{cells:N0} settings x {prompts:N0} prompts x {samplesPerPrompt:N0} samples is {total:N0} generations, more than {MaxEvaluationGenerations:N0}; use fewer --samples, prompts or strengths.");
    }

    private static string Mib(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):N1} GiB" : $"{bytes / (double)(1 << 20):N1} MiB";
}
