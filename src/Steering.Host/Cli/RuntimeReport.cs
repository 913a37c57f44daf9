using LlamaSteer.Native.Runtime;

namespace LlamaSteer.Host.Cli;

/// <summary>The runtime part of <c>info</c>: the build, the backends that loaded and those that did not (and why), and the devices.</summary>
internal static class RuntimeReport
{
    public static void Write(TextWriter o, NativeRuntimeInfo rt)
    {
        o.WriteLine($"llama.cpp       {rt.LlamaVersion} ({rt.Layout?.Name ?? "unknown build"}) from {rt.Directory}");
        foreach (var b in rt.Backends)
        {
            var devices = rt.Devices.Count(d => d.Backend == b);
            o.WriteLine($"backend         {b}: loaded, {devices} device{(devices == 1 ? "" : "s")}");
        }
        foreach (var p in rt.BackendProblems)
            o.WriteLine($"backend         {p.Describe()}");
        foreach (var d in rt.Devices)
            o.WriteLine($"device          {d.Name} ({d.Kind}, {d.Backend}): {d.Description}, {d.FreeBytes / (1 << 20):N0} MiB free of {d.TotalBytes / (1 << 20):N0} MiB");
        o.WriteLine($"gpu offload     {rt.WhyNoGpu() ?? $"{rt.GpuDevices.Count} GPU device(s)"}");
    }
}
