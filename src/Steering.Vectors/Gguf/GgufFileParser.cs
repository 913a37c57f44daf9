namespace LlamaSteer.Gguf;

/// <summary>
/// Reads and validates the header, metadata and tensor table of a GGUF file, applying the checks of
/// llama.cpp v0.5.0's own reader (gguf_init_from_reader in ggml/src/gguf.cpp) and its model loader's
/// range check (every tensor's data inside the file), so that a malformed container never reaches native
/// code. Tensor data is not read.
/// </summary>
internal static class GgufFileParser
{
    private readonly record struct TensorEntry(string Name, long[] Dimensions, GgmlType Type, ulong Offset, long ByteSize, long ElementCount);

    public static GgufFile Parse(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        // A pipe (--model <(cat m.gguf)) or device cannot seek; GGUF is read by offsets, and llama.cpp maps the file.
        if (!stream.CanSeek)
            throw new GgufFormatException(path, "is a pipe or device, not a regular file; GGUF files are read by seeking, so save it to a file first");
        var reader = new GgufBinaryReader(stream, path);
        try
        {
            var version = ReadHeader(reader, out var tensorCount, out var metadataCount);
            var metadata = GgufMetadataReader.Read(reader, metadataCount);
            var alignment = ReadAlignment(reader, metadata);
            var entries = ReadTensorTable(reader, tensorCount);
            // gguf.cpp pads the data section's start only when there are tensors (gguf_get_data_offset says so).
            var dataOffset = entries.Count > 0 ? GgufFormat.AlignUp(reader.Position, alignment) : reader.Position;
            var tensors = PlaceTensors(reader, entries, alignment, dataOffset);
            return new GgufFile(path, version, alignment, dataOffset, reader.Length, metadata, tensors);
        }
        catch (EndOfStreamException e)
        {
            throw reader.Error($"the file changed while it was being read ({e.Message})");
        }
    }

    private static uint ReadHeader(GgufBinaryReader reader, out ulong tensorCount, out ulong metadataCount)
    {
        if (reader.Length < 4)
        {
            var problem = reader.Length == 0 ? "the file is empty" : $"the file is only {reader.Length} bytes long";
            throw reader.Error($"not a GGUF file: {problem}");
        }
        var magic = reader.ReadBytes(4, "magic");
        if (!magic.AsSpan().SequenceEqual("GGUF"u8))
            throw reader.Error($"not a GGUF file: starts with '{Printable(magic)}' (expected 'GGUF')");
        if (reader.Length < GgufFormat.HeaderSize)
            throw reader.Error($"truncated: the header needs {GgufFormat.HeaderSize} bytes but the file has {reader.Length:N0}");

        var version = reader.ReadUInt32("version");
        if (version is < GgufFormat.OldestReadableVersion or > GgufFormat.Version)
            throw reader.Error(version switch
            {
                // A big-endian GGUF v3 reads as 0x03000000 here; gguf.cpp tests the low half the same way.
                _ when version != 0 && (version & 0xFFFF) == 0 =>
                    $"GGUF version 0x{version:X8} looks byte-swapped; big-endian GGUF files are not supported",
                1 => "GGUF version 1 is no longer supported by llama.cpp; convert the model again",
                _ => $"unsupported GGUF version {version}; this reader supports versions 2 and 3",
            });

        tensorCount = reader.ReadUInt64("tensor count");
        metadataCount = reader.ReadUInt64("metadata count");
        var leastNeeded = (UInt128)tensorCount * GgufFormat.MinTensorInfoSize + (UInt128)metadataCount * GgufFormat.MinMetadataEntrySize;
        if (leastNeeded > (ulong)reader.Remaining)
            throw reader.Error(
                $"truncated or corrupt header: it declares {tensorCount:N0} tensors and {metadataCount:N0} metadata entries, which need at least " +
                $"{leastNeeded:N0} bytes, but only {reader.Remaining:N0} follow the header");
        // Only a file of tens of gigabytes gets here; the counts index .NET lists.
        if (tensorCount > int.MaxValue || metadataCount > int.MaxValue)
            throw reader.Error($"the header declares {tensorCount:N0} tensors and {metadataCount:N0} metadata entries; this reader handles at most {int.MaxValue:N0} of each");
        return version;
    }

    private static uint ReadAlignment(GgufBinaryReader reader, OrderedDictionary<string, GgufMetadataValue> metadata)
    {
        if (!metadata.TryGetValue(GgufFormat.AlignmentKey, out var value)) return GgufFormat.DefaultAlignment;
        if (value.Type != GgufValueType.UInt32)
            throw reader.Error($"'{GgufFormat.AlignmentKey}' must be a uint32 but is {value.TypeDescription}");
        var alignment = (uint)value.Value;
        if (!GgufFormat.IsPowerOfTwo(alignment))
            throw reader.Error($"'{GgufFormat.AlignmentKey}' is {alignment}; the alignment must be a power of two");
        return alignment;
    }

    private static List<TensorEntry> ReadTensorTable(GgufBinaryReader reader, ulong count)
    {
        var entries = new List<TensorEntry>((int)count);
        var indexByName = new Dictionary<string, int>((int)count, StringComparer.Ordinal);
        for (var i = 0; i < (int)count; i++)
        {
            var name = reader.ReadString($"tensor info #{i} name");
            var nameBytes = GgufFormat.StrictUtf8.GetByteCount(name);
            if (nameBytes > GgufFormat.MaxTensorNameBytes)
                throw reader.Error($"tensor '{name}' has a {nameBytes}-byte name; llama.cpp allows at most {GgufFormat.MaxTensorNameBytes}");
            if (!indexByName.TryAdd(name, i))
                throw reader.Error($"duplicate tensor name '{name}' (tensors #{indexByName[name]} and #{i})");
            var what = name.Length > 0 ? $"tensor '{name}'" : $"tensor #{i} (empty name)";

            var dimensionCount = reader.ReadUInt32(what, " dimension count");
            if (dimensionCount is < 1 or > GgmlTypeInfo.MaxDimensions)
                throw reader.Error($"{what} has {dimensionCount} dimensions; GGUF allows 1 to {GgmlTypeInfo.MaxDimensions}");
            var dimensions = new long[dimensionCount];
            for (var d = 0; d < dimensions.Length; d++)
            {
                var ne = reader.ReadUInt64(what, $" dimension {d}");
                if (ne > long.MaxValue) throw reader.Error($"{what} dimension {d} is {ne:N0}, more than a signed 64-bit count");
                dimensions[d] = (long)ne;
            }

            var type = (GgmlType)reader.ReadUInt32(what, " type");
            if (!GgmlTypeInfo.IsKnown(type))
                throw reader.Error($"{what} has unknown ggml type {(uint)type}; llama.cpp v0.5.0 does not define it");
            if (!GgmlTypeInfo.TryByteSize(type, dimensions, out var byteSize, out var problem))
                throw reader.Error($"{what}: {problem}");
            GgmlTypeInfo.TryElementCount(dimensions, out var elementCount, out _);

            var offset = reader.ReadUInt64(what, " data offset");
            entries.Add(new TensorEntry(name, dimensions, type, offset, byteSize, elementCount));
        }
        return entries;
    }

    private static List<GgufTensorInfo> PlaceTensors(GgufBinaryReader reader, List<TensorEntry> entries, uint alignment, long dataOffset)
    {
        var tensors = new List<GgufTensorInfo>(entries.Count);
        ulong expected = 0;
        foreach (var entry in entries)
        {
            var what = $"tensor '{entry.Name}'";
            if (entry.Offset % alignment != 0)
                throw reader.Error($"{what} data offset {entry.Offset:N0} is not a multiple of the alignment {alignment}");
            // gguf.cpp accepts only tensors stored back to back in table order, each padded to the alignment.
            if (entry.Offset != expected)
                throw reader.Error(
                    $"{what} data offset is {entry.Offset:N0} but llama.cpp expects {expected:N0}: tensor data must follow " +
                    $"the table's order, each tensor padded to the alignment {alignment}");
            var end = (UInt128)(ulong)dataOffset + entry.Offset + (ulong)entry.ByteSize;
            if (end > (ulong)reader.Length)
                throw reader.Error($"truncated: {what} needs bytes up to {end:N0} but the file has {reader.Length:N0}");
            tensors.Add(new GgufTensorInfo(entry.Name, entry.Dimensions, entry.Type, (long)entry.Offset,
                dataOffset + (long)entry.Offset, entry.ByteSize, entry.ElementCount));
            expected = (ulong)GgufFormat.AlignUp((long)entry.Offset + entry.ByteSize, alignment);
        }
        return tensors;
    }

    /// <summary>The bytes as ASCII, with '.' for anything unprintable: "PK..", as `xxd` shows them.</summary>
    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) chars[i] = bytes[i] is >= 0x20 and < 0x7F ? (char)bytes[i] : '.';
        return new string(chars);
    }
}
