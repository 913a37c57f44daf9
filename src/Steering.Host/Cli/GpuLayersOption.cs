using System.CommandLine;
using System.Globalization;
using LlamaSteer.Native.Runtime;
using LlamaSteer.Planning;

namespace LlamaSteer.Host.Cli;

/// <summary>
/// <c>--gpu-layers N|-1|auto</c>: a count is passed to llama.cpp (which refuses nothing, so LlamaModel.Load checks a GPU
/// exists); <c>auto</c> offloads as many layers as <see cref="MemoryEstimate"/> says fit in the first GPU's free memory,
/// and says on stderr what it chose.
/// </summary>
internal static class GpuLayersOption
{
    /// <summary>Memory left free on the card for the driver, the CUDA/Vulkan context and fragmentation.</summary>
    public const long HeadroomBytes = 512L << 20;

    /// <summary>The context auto plans for: the largest a verb creates by default (the trained length, at most 4096).</summary>
    public const int PlannedContext = 4096;

    public static Option<string> Create()
    {
        var option = new Option<string>("--gpu-layers", "-ngl")
        {
            Description = "Layers to offload to a GPU: a count, -1 for all, or auto (as many as fit in free GPU memory); needs a CUDA or Vulkan build (-p:LlamaSteerBackend=cuda|vulkan)",
            DefaultValueFactory = _ => "0",
        };
        option.Validators.Add(r =>
        {
            var v = r.GetValueOrDefault<string>();
            if (!IsAuto(v) && !(int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= -1))
                r.AddError($"--gpu-layers must be a count, -1 (all) or auto, not '{v}'.");
        });
        return option;
    }

    /// <summary>The count to load with: the given one, or for auto what fits (after the runtime is configured).</summary>
    public static int Resolve(string value, string modelPath, int contextSize)
    {
        if (!IsAuto(value)) return int.Parse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var runtime = NativeRuntime.EnsureLoaded();
        if (runtime.WhyNoGpu() is { } why)
        {
            Console.Error.WriteLine($"llamasteer: --gpu-layers auto: {why}; running every layer on the CPU.");
            return 0;
        }
        var gpu = runtime.GpuDevices[0];
        var estimate = MemoryEstimate.For(modelPath, new MemoryRequest(contextSize));
        var n = estimate.LayersThatFit((long)gpu.FreeBytes, HeadroomBytes);
        Console.Error.WriteLine(
            $"llamasteer: --gpu-layers auto: {n} of {estimate.LayerCount + 1} layers on {gpu.Name} ({gpu.Description}), " +
            $"needing {Mib(estimate.GpuBytes(n))} of its {Mib((long)gpu.FreeBytes)} free (context {estimate.PaddedContext}, {Mib(HeadroomBytes)} kept free).");
        return n;
    }

    private static bool IsAuto(string? v) => string.Equals(v, "auto", StringComparison.OrdinalIgnoreCase);

    internal static string Mib(long bytes) => $"{bytes / (1024.0 * 1024.0):N1} MiB";
}
