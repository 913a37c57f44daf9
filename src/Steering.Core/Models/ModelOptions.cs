namespace LlamaSteer.Models;

/// <summary>How a model is loaded. Validated by <see cref="LlamaModel.Load"/>.</summary>
public sealed record ModelOptions
{
    /// <summary>Layers to offload to a GPU: 0 keeps everything on the CPU, -1 offloads all.</summary>
    public int GpuLayers { get; init; }

    /// <summary>Memory-map the file instead of reading it (default true).</summary>
    public bool UseMmap { get; init; } = true;

    /// <summary>Let llama.cpp check every tensor's data for NaN/Inf while loading (slow).</summary>
    public bool CheckTensors { get; init; }

    internal void Validate()
    {
        if (GpuLayers < -1) throw new ArgumentOutOfRangeException(nameof(GpuLayers), GpuLayers, "GPU layers must be -1 (all), 0 (none) or a positive count.");
    }
}
