namespace LlamaSteer.Native.Runtime;

/// <summary>What was loaded: where from, which release, which backends and devices ggml registered.</summary>
/// <param name="Backends">Names of the registered ggml backends (<c>CPU</c>, and <c>CUDA</c> or <c>Vulkan</c> where their runtime is installed).</param>
public sealed record NativeRuntimeInfo(
    string Directory,
    string LlamaVersion,
    IReadOnlyList<string> Backends,
    IReadOnlyList<ComputeDevice> Devices,
    string SystemInfo)
{
    /// <summary>Which build's file names were found (cpu, cuda or vulkan of node-llama-cpp, or a CMake build).</summary>
    public RuntimeLayout? Layout { get; init; }

    /// <summary>GPU backend libraries in the runtime folder that did not load, each with the reason.</summary>
    public IReadOnlyList<BackendProblem> BackendProblems { get; init; } = [];

    /// <summary>The devices llama.cpp can offload layers to (discrete and integrated GPUs).</summary>
    public IReadOnlyList<ComputeDevice> GpuDevices => Devices.Where(d => d.Kind is ComputeDeviceKind.Gpu or ComputeDeviceKind.IntegratedGpu).ToList();

    /// <summary>Why no GPU can take layers, in one sentence; null when one can.</summary>
    public string? WhyNoGpu()
    {
        if (GpuDevices.Count > 0) return null;
        if (BackendProblems.Count > 0) return $"no GPU device: {string.Join("; ", BackendProblems.Select(p => p.Describe()))}";
        var gpuBackends = Backends.Where(b => !b.Equals("CPU", StringComparison.OrdinalIgnoreCase)).ToList();
        if (gpuBackends.Count > 0) return $"no GPU device: the {string.Join(", ", gpuBackends)} backend loaded but found no device";
        return $"no GPU device: this llama.cpp runtime ({Layout?.Name ?? Directory}) has no GPU backend; build with -p:LlamaSteerBackend=cuda or -p:LlamaSteerBackend=vulkan";
    }
}

/// <summary>A ggml device (CPU, GPU, accelerator) with its memory in bytes and the backend that registered it.</summary>
public sealed record ComputeDevice(string Name, string Description, ComputeDeviceKind Kind, ulong FreeBytes, ulong TotalBytes, string Backend = "");

/// <summary>Mirror of <c>enum ggml_backend_dev_type</c>.</summary>
public enum ComputeDeviceKind { Cpu = 0, Gpu = 1, IntegratedGpu = 2, Accelerator = 3, Meta = 4 }
