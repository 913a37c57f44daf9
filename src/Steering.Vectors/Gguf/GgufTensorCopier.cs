namespace LlamaSteer.Gguf;

/// <summary>
/// Adds tensors of an existing GGUF file to a <see cref="GgufWriter"/> unchanged, byte for byte, streamed from the
/// file while the writer writes (so memory stays small whatever the model's size). Shared by the writers of model
/// copies (baked vectors, tuned weights). Keeps the source file open: dispose it after <see cref="GgufWriter.WriteTo(string)"/>.
/// Not thread-safe.
/// </summary>
public sealed class GgufTensorCopier(GgufFile source) : IDisposable
{
    private const int CopyBufferBytes = 1 << 20;

    private readonly FileStream _stream = new(Path.GetFullPath(source.FilePath), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
    private readonly byte[] _buffer = new byte[CopyBufferBytes];

    /// <summary>Adds <paramref name="tensor"/> of the source with its own name, type, shape and bytes; <paramref name="copied"/> runs once they are written.</summary>
    public void Add(GgufWriter writer, GgufTensorInfo tensor, Action? copied = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(tensor);
        writer.AddTensor(tensor.Name, tensor.Type, tensor.Dimensions.ToArray(), destination =>
        {
            Copy(tensor, destination, cancellationToken);
            copied?.Invoke();
        });
    }

    private void Copy(GgufTensorInfo tensor, Stream destination, CancellationToken cancellationToken)
    {
        _stream.Seek(tensor.FileOffset, SeekOrigin.Begin);
        for (var left = tensor.ByteSize; left > 0;)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var read = _stream.Read(_buffer, 0, (int)Math.Min(_buffer.Length, left));
            if (read == 0) throw new GgufFormatException(source.FilePath, $"the file ended inside tensor '{tensor.Name}' while it was copied (was it changed meanwhile?)");
            destination.Write(_buffer, 0, read);
            left -= read;
        }
    }

    public void Dispose() => _stream.Dispose();
}
