namespace LlamaSteer.Gguf;

/// <summary>
/// A write-only view of another stream that counts what goes through and refuses to go past a limit.
/// The writer uses it to pad to the alignment on streams that cannot seek, and to hold a tensor-data
/// callback to exactly the tensor's size. Disposing it leaves the inner stream open. Not thread-safe.
/// </summary>
internal sealed class CountingWriteStream(Stream inner, long limit = long.MaxValue, string? limitDescription = null) : Stream
{
    public long BytesWritten { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesWritten; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length > limit - BytesWritten)
            throw new InvalidOperationException($"{limitDescription ?? "The stream"} takes {limit:N0} bytes, but more were written.");
        inner.Write(buffer);
        BytesWritten += buffer.Length;
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
