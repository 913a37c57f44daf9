using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Parameters;

namespace LlamaSteer.Training.Graph;

/// <summary>
/// One graph being built and computed: its own ggml context (descriptions only; a <see cref="GraphRunner"/> places the
/// data), the inputs to fill once memory exists, the trainable parameters bound into it, and the tensors to read back.
/// Disposed after the step; every tensor reference from it dies with it. One thread at a time.
/// </summary>
public sealed class GraphStep : IDisposable
{
    private readonly List<(GgmlTensorRef Tensor, Action<GgmlTensorRef> Fill)> _inputs = [];
    private readonly Dictionary<TrainableTensor, GgmlTensorRef> _parameters = [];
    private readonly List<GgmlTensorRef> _outputs = [];
    private readonly List<(string Name, GgmlTensorRef Scalar)> _terms = [];

    /// <summary>A step with room for <paramref name="maxNodes"/> graph nodes (forward and backward together).</summary>
    public GraphStep(int maxNodes)
    {
        MaxNodes = maxNodes;
        Context = SafeGgmlContextHandle.Create(
            SafeGgmlContextHandle.TensorOverhead * maxNodes + SafeGgmlContextHandle.GraphOverhead(maxNodes, true) + (1 << 16), allocateData: false);
    }

    public int MaxNodes { get; }

    /// <summary>The context the step's tensors are made in.</summary>
    public SafeGgmlContextHandle Context { get; }

    /// <summary>The scalar loss, once <see cref="SetLoss"/> named it.</summary>
    public GgmlTensorRef Loss { get; private set; }

    internal IReadOnlyList<(GgmlTensorRef Tensor, Action<GgmlTensorRef> Fill)> Inputs => _inputs;

    internal IReadOnlyList<GgmlTensorRef> Outputs => _outputs;

    internal IReadOnlyDictionary<TrainableTensor, GgmlTensorRef> Parameters => _parameters;

    /// <summary>The named parts of the loss the objective declared with <see cref="Term"/>.</summary>
    public IReadOnlyList<(string Name, GgmlTensorRef Scalar)> Terms => _terms;

    /// <summary>A new input tensor, filled by <paramref name="fill"/> once the graph has memory.</summary>
    public GgmlTensorRef Input(int type, long[] dims, string name, Action<GgmlTensorRef> fill)
    {
        var t = Context.NewTensor(type, dims).Named(name);
        SafeGgmlContextHandle.MarkInput(t);
        _inputs.Add((t, fill));
        return t;
    }

    /// <summary>A constant F32 input holding <paramref name="values"/>.</summary>
    public GgmlTensorRef Constant(string name, float[] values, params long[] dims) => Input(SafeGgmlContextHandle.F32, dims, name, t => t.Write(values));

    /// <summary>The tensor of a trainable parameter in this graph (made once per step, filled from its current values).</summary>
    public GgmlTensorRef Parameter(TrainableTensor parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        if (_parameters.TryGetValue(parameter, out var bound)) return bound;
        var t = Input(SafeGgmlContextHandle.F32, parameter.Shape, parameter.Name, x => x.Write(parameter.Values));
        SafeGgmlContextHandle.MarkParameter(t);
        _parameters[parameter] = t;
        return t;
    }

    /// <summary>Keeps <paramref name="tensor"/>'s memory until the step ends so it can be read after computing.</summary>
    public GgmlTensorRef Output(GgmlTensorRef tensor)
    {
        SafeGgmlContextHandle.MarkOutput(tensor);
        _outputs.Add(tensor);
        return tensor;
    }

    /// <summary>
    /// Declares a named part of the loss (a scalar kept until the step ends), so the trainer can report each term
    /// beside the total (representation tuning shows its token and representation losses).
    /// </summary>
    public GgmlTensorRef Term(string name, GgmlTensorRef scalar)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (scalar.ElementCount != 1) throw new ArgumentException($"A loss term is a scalar; {name} has {scalar.ElementCount} values.");
        _terms.Add((name, Output(scalar)));
        return scalar;
    }

    /// <summary>Declares the scalar loss whose gradient a backward pass computes.</summary>
    public GgmlTensorRef SetLoss(GgmlTensorRef scalar)
    {
        if (scalar.ElementCount != 1) throw new ArgumentException($"A loss is a scalar; this tensor has {scalar.ElementCount} values.");
        SafeGgmlContextHandle.MarkLoss(scalar);
        Loss = Output(scalar);
        return scalar;
    }

    public void Dispose() => Context.Dispose();
}
