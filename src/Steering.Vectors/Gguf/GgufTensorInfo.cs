namespace LlamaSteer.Gguf;

/// <summary>
/// One entry of a GGUF file's tensor table: where the tensor's data lies and how big it is. Built by
/// <see cref="GgufFile.Read"/> only after the shape, type and range were validated, so
/// <see cref="ByteSize"/> and <see cref="ElementCount"/> are consistent with them. Immutable and thread-safe.
/// </summary>
public sealed record GgufTensorInfo
{
    private readonly long[] _dimensions;

    internal GgufTensorInfo(string name, long[] dimensions, GgmlType type, long offset, long fileOffset, long byteSize, long elementCount)
    {
        Name = name;
        _dimensions = dimensions;
        Type = type;
        Offset = offset;
        FileOffset = fileOffset;
        ByteSize = byteSize;
        ElementCount = elementCount;
    }

    public string Name { get; }

    /// <summary>ne[0] (the row length, contiguous in memory) first, as in the file; 1 to 4 entries.</summary>
    public IReadOnlyList<long> Dimensions => _dimensions;

    public GgmlType Type { get; }

    /// <summary>Where the data starts, relative to <see cref="GgufFile.DataOffset"/>.</summary>
    public long Offset { get; }

    /// <summary>Where the data starts in the file.</summary>
    public long FileOffset { get; }

    /// <summary>Bytes of data (<c>ggml_nbytes</c>), without the alignment padding after it.</summary>
    public long ByteSize { get; }

    public long ElementCount { get; }

    /// <summary>The shape as llama.cpp prints it, e.g. "[64, 512]".</summary>
    public string Shape => GgmlTypeInfo.FormatShape(_dimensions);

    public bool Equals(GgufTensorInfo? other) =>
        other is not null && Name == other.Name && Type == other.Type && Offset == other.Offset &&
        FileOffset == other.FileOffset && _dimensions.AsSpan().SequenceEqual(other._dimensions);

    public override int GetHashCode() => HashCode.Combine(Name, Type, Offset, FileOffset);

    public override string ToString() => $"{Name} {GgmlTypeInfo.Name(Type)} {Shape} at +{Offset} ({ByteSize} bytes)";
}
