using System.Globalization;
using System.Text.RegularExpressions;

namespace LlamaSteer.Planning;

/// <summary>
/// The buffers llama.cpp reported allocating (its "<c>CPU_Mapped model buffer size = 1.12 MiB</c>" log lines, the only
/// place it states them), summed per kind in bytes. The log prints MiB with two decimals, so each buffer is known to
/// within ±0.005 MiB (<see cref="PrecisionBytes"/>). Immutable.
/// </summary>
public sealed partial record MeasuredAllocations(long ModelBytes, long KvBytes, long OutputBytes, long ComputeBytes, int BufferCount)
{
    /// <summary>How far one reported buffer may lie from its true size (half of 0.01 MiB).</summary>
    public const long PrecisionBytes = 5243;

    [GeneratedRegex(@"(?<buffer>\S+)\s+(?<kind>model|KV|output|compute) buffer size =\s*(?<mib>[0-9.]+) MiB")]
    private static partial Regex BufferLine();

    /// <summary>Sums the buffer lines among <paramref name="logLines"/>.</summary>
    public static MeasuredAllocations Parse(IEnumerable<string> logLines)
    {
        long model = 0, kv = 0, output = 0, compute = 0;
        var count = 0;
        foreach (var line in logLines)
        {
            var m = BufferLine().Match(line);
            if (!m.Success) continue;
            var bytes = (long)Math.Round(double.Parse(m.Groups["mib"].Value, CultureInfo.InvariantCulture) * 1024 * 1024);
            count++;
            switch (m.Groups["kind"].Value)
            {
                case "model": model += bytes; break;
                case "KV": kv += bytes; break;
                case "output": output += bytes; break;
                default: compute += bytes; break;
            }
        }
        return new MeasuredAllocations(model, kv, output, compute, count);
    }
}
