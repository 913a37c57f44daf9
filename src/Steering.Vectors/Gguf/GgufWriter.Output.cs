using LlamaSteer.Files;

namespace LlamaSteer.Gguf;

public sealed partial class GgufWriter
{
    /// <summary>
    /// Writes the file atomically (<see cref="AtomicFile"/>): into a hidden temporary file in the same folder,
    /// flushed to disk, then moved over <paramref name="path"/>. On any failure the temporary file is deleted and
    /// a file already at <paramref name="path"/> is left as it was.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="IOException">Writing or replacing failed, or <paramref name="path"/> is a folder.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder may not be written.</exception>
    /// <exception cref="InvalidOperationException">A tensor-data callback wrote more or fewer bytes than its tensor takes.</exception>
    public void WriteTo(string path) => WriteTo(path, CancellationToken.None);

    /// <summary>As <see cref="WriteTo(string)"/>, checking <paramref name="cancellationToken"/> between tensors.</summary>
    /// <exception cref="OperationCanceledException">Cancelled; nothing was written.</exception>
    public void WriteTo(string path, CancellationToken cancellationToken) =>
        AtomicFile.Write(path, stream => WriteTo(stream, cancellationToken), cancellationToken);

    /// <summary>Writes the file to <paramref name="stream"/> from its current position; the stream need not seek and is left open.</summary>
    /// <exception cref="InvalidOperationException">A tensor-data callback wrote more or fewer bytes than its tensor takes.</exception>
    /// <exception cref="IOException">The stream failed.</exception>
    public void WriteTo(Stream stream) => WriteTo(stream, CancellationToken.None);

    private void WriteTo(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite) throw new ArgumentException("The stream is not writable.", nameof(stream));
        var alignment = Alignment;
        // Offsets within the data section and padding are relative to where the file starts, which need not be position 0.
        var counted = new CountingWriteStream(stream);
        using var output = new BinaryWriter(counted, GgufFormat.StrictUtf8, leaveOpen: true);

        output.Write("GGUF"u8);
        output.Write(GgufFormat.Version);
        output.Write((ulong)_tensors.Count);
        output.Write((ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            WriteString(output, key);
            output.Write((uint)value.Type);
            WriteValue(output, value);
        }

        long offset = 0;
        foreach (var tensor in _tensors)
        {
            WriteString(output, tensor.Name);
            output.Write((uint)tensor.Dimensions.Length);
            foreach (var ne in tensor.Dimensions) output.Write((ulong)ne);
            output.Write((uint)tensor.Type);
            output.Write((ulong)offset);
            offset = GgufFormat.AlignUp(offset + tensor.ByteSize, alignment);
        }
        Pad(output, counted, alignment);

        foreach (var tensor in _tensors)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (tensor.Data is not null)
                output.Write(tensor.Data);
            else
                StreamTensor(output, counted, tensor);
            Pad(output, counted, alignment);
        }
        output.Flush();
    }

    private static void StreamTensor(BinaryWriter output, CountingWriteStream counted, PendingTensor tensor)
    {
        output.Flush();
        var description = $"Tensor '{tensor.Name}'";
        using var data = new CountingWriteStream(counted, tensor.ByteSize, description);
        tensor.WriteData!(data);
        if (data.BytesWritten != tensor.ByteSize)
            throw new InvalidOperationException($"{description} takes {tensor.ByteSize:N0} bytes, but its data callback wrote {data.BytesWritten:N0}.");
    }

    private static void Pad(BinaryWriter output, CountingWriteStream counted, uint alignment)
    {
        output.Flush();
        var padding = GgufFormat.AlignUp(counted.BytesWritten, alignment) - counted.BytesWritten;
        for (var i = 0; i < padding; i++) output.Write((byte)0);
    }

    private static void WriteString(BinaryWriter output, string value)
    {
        // BinaryWriter.Write(string) would prefix a 7-bit length; GGUF wants a uint64 byte count.
        var bytes = GgufFormat.StrictUtf8.GetBytes(value);
        output.Write((ulong)bytes.Length);
        output.Write(bytes);
    }

    private static void WriteValue(BinaryWriter output, GgufMetadataValue value)
    {
        if (value.Value is not Array array)
        {
            WriteScalar(output, value.Value);
            return;
        }
        output.Write((uint)value.ElementType!.Value);
        output.Write((ulong)array.Length);
        foreach (var element in array) WriteScalar(output, element);
    }

    private static void WriteScalar(BinaryWriter output, object value)
    {
        switch (value)
        {
            case byte v: output.Write(v); break;
            case sbyte v: output.Write(v); break;
            case ushort v: output.Write(v); break;
            case short v: output.Write(v); break;
            case uint v: output.Write(v); break;
            case int v: output.Write(v); break;
            case float v: output.Write(v); break;
            case bool v: output.Write((byte)(v ? 1 : 0)); break;
            case string v: WriteString(output, v); break;
            case ulong v: output.Write(v); break;
            case long v: output.Write(v); break;
            case double v: output.Write(v); break;
            default: throw new InvalidOperationException($"Unexpected metadata value of .NET type {value.GetType()}.");
        }
    }
}
