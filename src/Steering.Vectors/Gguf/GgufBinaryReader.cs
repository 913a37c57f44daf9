using System.Text;

namespace LlamaSteer.Gguf;

/// <summary>
/// Little-endian reads that check, before every read, that the bytes are there, and say what was being
/// read when they are not. Lengths and counts taken from the file are checked against the bytes left
/// before anything is allocated, so a corrupt count fails fast instead of exhausting memory.
/// Not thread-safe; owns nothing (the caller disposes the stream).
/// </summary>
internal sealed class GgufBinaryReader
{
    private readonly BinaryReader _reader;
    private readonly string _path;

    public GgufBinaryReader(Stream stream, string path)
    {
        _reader = new BinaryReader(stream, GgufFormat.StrictUtf8, leaveOpen: true);
        _path = path;
        Length = stream.Length;
    }

    public long Length { get; }

    public long Position { get; private set; }

    public long Remaining => Length - Position;

    public GgufFormatException Error(string problem) => new(_path, problem);

    // `what` names the field for the error message; it is only formatted when a read fails.
    public byte ReadUInt8(string what) { Need(1, what); return _reader.ReadByte(); }
    public sbyte ReadInt8(string what) { Need(1, what); return _reader.ReadSByte(); }
    public ushort ReadUInt16(string what) { Need(2, what); return _reader.ReadUInt16(); }
    public short ReadInt16(string what) { Need(2, what); return _reader.ReadInt16(); }
    public uint ReadUInt32(string what, string detail = "") { Need(4, what, detail); return _reader.ReadUInt32(); }
    public int ReadInt32(string what) { Need(4, what); return _reader.ReadInt32(); }
    public float ReadFloat32(string what) { Need(4, what); return _reader.ReadSingle(); }
    public ulong ReadUInt64(string what, string detail = "") { Need(8, what, detail); return _reader.ReadUInt64(); }
    public long ReadInt64(string what) { Need(8, what); return _reader.ReadInt64(); }
    public double ReadFloat64(string what) { Need(8, what); return _reader.ReadDouble(); }

    /// <summary>gguf.cpp reads a bool as a byte and treats any non-zero value as true.</summary>
    public bool ReadBool(string what) => ReadUInt8(what) != 0;

    public byte[] ReadBytes(int count, string what)
    {
        Need(count, what);
        var bytes = _reader.ReadBytes(count);
        // Need() saw the bytes in the length taken at the start; fewer now means the file shrank meanwhile.
        if (bytes.Length != count) throw new EndOfStreamException($"{what}: {count} bytes expected, {bytes.Length} read");
        return bytes;
    }

    /// <summary>A uint64 byte length, then that many bytes of strict UTF-8.</summary>
    public string ReadString(string what)
    {
        var length = ReadUInt64(what, " length");
        if (length > (ulong)Remaining)
            throw Error($"truncated or corrupt: {what} is a string of {length:N0} bytes (length at byte {Position - 8:N0}), but only {Remaining:N0} bytes are left in the file");
        if (length > GgufFormat.MaxStringLength)
            throw Error($"{what} is a string of {length:N0} bytes, over llama.cpp's limit of {GgufFormat.MaxStringLength:N0}");
        var start = Position;
        var bytes = ReadBytes((int)length, what);
        try
        {
            return GgufFormat.StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw Error($"{what} is not valid UTF-8 (string at byte {start:N0}, bad byte at index {e.Index})");
        }
    }

    private void Need(long bytes, string what, string detail = "")
    {
        if (bytes > Remaining)
            throw Error($"truncated: {what}{detail} at byte {Position:N0} needs {bytes:N0} bytes but the file ends at {Length:N0}");
        Position += bytes;
    }
}
