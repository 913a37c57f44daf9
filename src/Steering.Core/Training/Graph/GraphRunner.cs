using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Parameters;

namespace LlamaSteer.Training.Graph;

/// <summary>
/// Computes <see cref="GraphStep"/>s on the CPU backend: expands the graph (with its backward pass when asked),
/// places its data with one reused graph allocator, fills the inputs, and runs it. Keeps the allocator between steps so
/// memory is reused. One step at a time (the backend and allocator are single-threaded); not thread-safe.
/// </summary>
public sealed class GraphRunner : IDisposable
{
    private readonly SafeGgmlBackendHandle _backend;
    private readonly SafeGraphAllocatorHandle _allocator;

    /// <summary>A runner with <paramref name="threads"/> CPU threads.</summary>
    public GraphRunner(int threads)
    {
        _backend = SafeGgmlBackendHandle.CreateCpu(threads);
        _allocator = SafeGraphAllocatorHandle.Create(_backend);
    }

    /// <summary>The largest compute buffer the allocator has held, in bytes.</summary>
    public long PeakComputeBytes { get; private set; }

    /// <summary>Computes the step's outputs (forward only).</summary>
    public void Forward(GraphStep step) => Run(step, backward: false);

    /// <summary>Computes the step's loss and the gradient of every bound parameter (read them with <see cref="Gradients"/>).</summary>
    /// <exception cref="InvalidOperationException">The step has no loss or no parameter.</exception>
    public void ForwardBackward(GraphStep step)
    {
        if (step.Loss.IsNull) throw new InvalidOperationException("The step has no loss.");
        if (step.Parameters.Count == 0) throw new InvalidOperationException("The step has no trainable parameter.");
        Run(step, backward: true);
    }

    /// <summary>After <see cref="ForwardBackward"/>: d(loss)/d(parameter) for each parameter bound into the step.</summary>
    /// A parameter the loss does not depend on gets zeros.
    public IReadOnlyDictionary<TrainableTensor, float[]> Gradients(GraphStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (_last is not { } graph || _lastStep != step) throw new InvalidOperationException("This step was not the last one computed with a backward pass.");
        return step.Parameters.ToDictionary(p => p.Key, p => graph.GradientOf(p.Value) is { IsNull: false } g ? g.ReadFloats() : new float[p.Key.Values.Length]);
    }

    private GgmlGraph? _last;
    private GraphStep? _lastStep;

    private void Run(GraphStep step, bool backward)
    {
        ArgumentNullException.ThrowIfNull(step);
        var graph = step.Context.NewGraph(step.MaxNodes, backward);
        foreach (var o in step.Outputs) graph.Expand(o);
        if (backward)
        {
            graph.BuildBackward();
            foreach (var p in step.Parameters.Values)
                if (graph.GradientOf(p) is { IsNull: false } g) step.Output(g);
        }
        _allocator.Allocate(graph);
        PeakComputeBytes = Math.Max(PeakComputeBytes, _allocator.BufferBytes);
        foreach (var (tensor, fill) in step.Inputs) fill(tensor);
        if (backward) graph.ResetGradients();
        _backend.Compute(graph);
        _last = backward ? graph : null;
        _lastStep = step;
    }

    public void Dispose()
    {
        _allocator.Dispose();
        _backend.Dispose();
    }
}
