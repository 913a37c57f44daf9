namespace LlamaSteer.Steering;

/// <summary>
/// A computed residual-stream tensor (l_out-N) as a binding's evaluation callback sees it: rows of n_embd floats,
/// one per token of the ubatch, read and written through the binding. Implemented by ref structs that are valid
/// only inside the callback; <see cref="PlanSchedule.Apply"/> takes them without boxing.
/// </summary>
public interface IResidualRows
{
    /// <summary>The node's name (e.g. "l_out-3"), for messages.</summary>
    string Name { get; }

    /// <summary>Elements per row (n_embd).</summary>
    long RowLength { get; }

    /// <summary>Rows (tokens of the ubatch).</summary>
    long RowCount { get; }

    /// <summary>Whether the data is F32 with rows stored back to back (the only layout the row accessors accept).</summary>
    bool IsContiguousF32 { get; }

    /// <summary>Copies rows [firstRow, firstRow + count) into <paramref name="destination"/> (count * RowLength floats).</summary>
    void ReadRows(int firstRow, int count, Span<float> destination);

    /// <summary>Overwrites rows [firstRow, firstRow + count) with <paramref name="source"/>.</summary>
    void WriteRows(int firstRow, int count, ReadOnlySpan<float> source);
}

/// <summary>Checks shared by every <see cref="IResidualRows"/> implementation.</summary>
public static class ResidualRowBounds
{
    /// <summary>
    /// Refuses rows [firstRow, firstRow + count) outside a tensor of <paramref name="rowCount"/> rows before they reach
    /// ggml_backend_tensor_get/set, whose own bounds check wraps around for a negative offset.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Rows outside the tensor.</exception>
    public static void Check(string name, long rowCount, int firstRow, int count)
    {
        if (firstRow < 0 || count < 0 || firstRow + (long)count > rowCount)
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"Rows {firstRow} to {firstRow + count - 1} are outside {name}, which has {rowCount} rows.");
    }
}
