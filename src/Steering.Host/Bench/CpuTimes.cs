namespace LlamaSteer.Host.Bench;

/// <summary>
/// The machine's cumulative CPU times from the first line of /proc/stat. On a virtual machine "steal" is time
/// the hypervisor ran other guests while this one wanted the CPU: a benchmark with much steal measured the
/// neighbours as much as the code.
/// </summary>
internal readonly record struct CpuTimes(long Total, long Steal)
{
    /// <summary>The current times, or null where /proc/stat is missing or unreadable.</summary>
    public static CpuTimes? Read()
    {
        try
        {
            var line = File.ReadLines("/proc/stat").FirstOrDefault(l => l.StartsWith("cpu "));
            if (line is null) return null;
            // cpu user nice system idle iowait irq softirq steal [guest guest_nice]; guest time is already in user.
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(long.Parse).ToArray();
            return f.Length < 8 ? null : new CpuTimes(f.Sum(), f[7]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return null;
        }
    }

    /// <summary>Stolen share of the CPU time between two readings, in percent.</summary>
    public static double? StealPercent(CpuTimes? before, CpuTimes? after) =>
        before is { } b && after is { } a && a.Total > b.Total ? 100.0 * (a.Steal - b.Steal) / (a.Total - b.Total) : null;
}
