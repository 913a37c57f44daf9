using System.CommandLine;
using System.Globalization;
using LlamaSteer.Planning;

namespace LlamaSteer.Host.Cli;

/// <summary>
/// The memory part of <c>info</c>: the estimate for the context info creates, what llama.cpp reported allocating for it,
/// and with <c>--vram SIZE</c> how many layers fit on a card with that much free memory.
/// </summary>
internal static class MemoryReport
{
    public static Option<string?> VramOption() => new("--vram")
    {
        Description = "Free GPU memory to plan for (8G, 6144M, 12GiB): prints how many layers fit and what --gpu-layers auto would choose",
    };

    /// <summary>Bytes in a size such as 8G, 6144M, 512MiB or 1073741824.</summary>
    /// <exception cref="ArgumentException">Not a size.</exception>
    public static long ParseSize(string text)
    {
        var t = text.Trim();
        var units = new (string Suffix, long Factor)[] { ("GiB", 1L << 30), ("MiB", 1L << 20), ("G", 1L << 30), ("M", 1L << 20), ("GB", 1L << 30), ("MB", 1L << 20) };
        foreach (var (suffix, factor) in units.OrderByDescending(u => u.Suffix.Length))
            if (t.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(t[..^suffix.Length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var v) && v > 0)
                return (long)(v * factor);
        if (long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var b) && b > 0) return b;
        throw new ArgumentException($"--vram must be a size such as 8G, 6144M or 12GiB, not '{text}'.");
    }

    public static void Write(TextWriter o, MemoryEstimate e, MeasuredAllocations measured, long? vram)
    {
        string M(long b) => GpuLayersOption.Mib(b);
        o.WriteLine($"memory estimate weights {M(e.WeightBytes)} (input {M(e.InputBytes)}, layers {M(e.LayerWeightBytes.Sum())}, output {M(e.OutputBytes)}{(e.TiedOutput ? " tied to the input" : "")}), " +
                    $"KV {M(e.KvBytes)} at context {e.PaddedContext}, compute {M(e.ComputeBytes)}, output buffer {M(e.OutputBufferBytes)}");
        o.WriteLine($"memory measured model {M(measured.ModelBytes)}, KV {M(measured.KvBytes)}, compute {M(measured.ComputeBytes)}, output buffer {M(measured.OutputBytes)} (llama.cpp's own report for this context)");
        if (vram is not { } free) return;
        o.WriteLine($"vram plan       {M(free)} free, {M(GpuLayersOption.HeadroomBytes)} kept for the driver");
        for (var n = 0; n <= e.LayerCount + 1; n++)
        {
            var fits = e.GpuBytes(n) <= free - GpuLayersOption.HeadroomBytes;
            o.WriteLine($"  --gpu-layers {n,-3} needs {M(e.GpuBytes(n)),12} on the GPU{(fits ? "" : "  (does not fit)")}");
        }
        o.WriteLine($"vram plan       --gpu-layers auto would choose {e.LayersThatFit(free, GpuLayersOption.HeadroomBytes)} of {e.LayerCount + 1} (n_layer + the output layer)");
    }
}
