namespace LlamaSteer.Native.Runtime;

/// <summary>What was loaded: where from, which release, which backends and devices ggml registered.</summary>
public sealed record NativeRuntimeInfo(
    string Directory,
    string LlamaVersion,
    IReadOnlyList<string> Backends,
    IReadOnlyList<ComputeDevice> Devices,
    string SystemInfo);

/// <summary>A ggml device (CPU, GPU, accelerator) with its memory in bytes.</summary>
public sealed record ComputeDevice(string Name, string Description, ComputeDeviceKind Kind, ulong FreeBytes, ulong TotalBytes);

/// <summary>Mirror of <c>enum ggml_backend_dev_type</c>.</summary>
public enum ComputeDeviceKind { Cpu = 0, Gpu = 1, IntegratedGpu = 2, Accelerator = 3, Meta = 4 }
