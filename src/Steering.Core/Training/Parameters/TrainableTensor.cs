namespace LlamaSteer.Training.Parameters;

/// <summary>
/// One trainable F32 leaf: its name in the graph, its shape, and its current values (the source of truth between
/// steps; each step's graph is filled from them and the optimizer updates them). Not thread-safe.
/// </summary>
public sealed class TrainableTensor
{
    /// <summary>A tensor of the given shape, starting at <paramref name="initial"/> (copied) or zeros.</summary>
    public TrainableTensor(string name, long[] shape, float[]? initial = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        var count = shape.Aggregate(1L, (a, b) => a * b);
        if (shape.Length is < 1 or > 4 || shape.Any(d => d < 1)) throw new ArgumentException($"Invalid shape [{string.Join(", ", shape)}].", nameof(shape));
        if (initial is not null && initial.Length != count) throw new ArgumentException($"{name}: {initial.Length} initial values for {count} elements.", nameof(initial));
        Name = name;
        Shape = (long[])shape.Clone();
        Values = initial is null ? new float[count] : (float[])initial.Clone();
    }

    public string Name { get; }

    public long[] Shape { get; }

    /// <summary>The current values (mutable: the optimizer writes them).</summary>
    public float[] Values { get; }

    /// <summary>This tensor's own peak learning rate (CLAS trains w and b at different rates), or null for the optimizer's.</summary>
    public float? LearningRate { get; init; }

    /// <summary>A copy of the current values.</summary>
    public float[] Snapshot() => (float[])Values.Clone();

    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}
