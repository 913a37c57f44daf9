namespace LlamaSteer.Gguf;

/// <summary>
/// Reads a GGUF file's metadata entries, refusing what gguf.cpp refuses: empty or duplicate keys, unknown
/// value types, nested arrays, and strings or arrays longer than the bytes left in the file (checked before
/// anything is allocated) or than llama.cpp's limits.
/// </summary>
internal static class GgufMetadataReader
{
    public static OrderedDictionary<string, GgufMetadataValue> Read(GgufBinaryReader reader, ulong count)
    {
        // GgufFileParser.ReadHeader bounded count to int.MaxValue.
        var metadata = new OrderedDictionary<string, GgufMetadataValue>((int)count, StringComparer.Ordinal);
        for (var i = 0; i < (int)count; i++)
        {
            var key = reader.ReadString($"metadata entry #{i} key");
            if (key.Length == 0) throw reader.Error($"metadata entry #{i} has an empty key");
            var earlier = metadata.IndexOf(key);
            if (earlier >= 0) throw reader.Error($"duplicate metadata key '{key}' (entries #{earlier} and #{i})");
            var what = $"metadata '{key}'";
            var type = (GgufValueType)reader.ReadUInt32(what, " type");
            metadata.Add(key, type == GgufValueType.Array ? ReadArray(reader, what) : ReadScalar(reader, type, what));
        }
        return metadata;
    }

    private static GgufMetadataValue ReadScalar(GgufBinaryReader reader, GgufValueType type, string what) =>
        GgufMetadataValue.FromDecoded(type, type switch
        {
            GgufValueType.UInt8 => reader.ReadUInt8(what),
            GgufValueType.Int8 => reader.ReadInt8(what),
            GgufValueType.UInt16 => reader.ReadUInt16(what),
            GgufValueType.Int16 => reader.ReadInt16(what),
            GgufValueType.UInt32 => reader.ReadUInt32(what),
            GgufValueType.Int32 => reader.ReadInt32(what),
            GgufValueType.Float32 => reader.ReadFloat32(what),
            GgufValueType.Bool => reader.ReadBool(what),
            GgufValueType.String => reader.ReadString(what),
            GgufValueType.UInt64 => reader.ReadUInt64(what),
            GgufValueType.Int64 => reader.ReadInt64(what),
            GgufValueType.Float64 => reader.ReadFloat64(what),
            _ => throw reader.Error($"{what} has unknown value type {(uint)type}"),
        });

    private static GgufMetadataValue ReadArray(GgufBinaryReader reader, string what)
    {
        var elementType = (GgufValueType)reader.ReadUInt32(what, " array element type");
        if (elementType == GgufValueType.Array)
            throw reader.Error($"{what} is an array of arrays, which llama.cpp does not read");
        var elementSize = ElementSize(elementType)
            ?? throw reader.Error($"{what} is an array of unknown value type {(uint)elementType}");
        var count = reader.ReadUInt64(what, " array length");
        // Every element takes at least elementSize bytes (a string at least its 8-byte length),
        // so this bounds the allocation below by the file's size.
        if (count > (ulong)(reader.Remaining / elementSize))
            throw reader.Error(
                $"truncated or corrupt: {what} is an array of {count:N0} {GgufMetadataValue.TypeName(elementType)} needing at least " +
                $"{(UInt128)count * (uint)elementSize:N0} bytes, but only {reader.Remaining:N0} are left in the file");
        if (count > GgufFormat.MaxArrayElements)
            throw reader.Error($"{what} is an array of {count:N0} elements, over llama.cpp's limit of {GgufFormat.MaxArrayElements:N0}");

        var n = (int)count;
        Array values = elementType switch
        {
            GgufValueType.UInt8 => Fill(new byte[n], () => reader.ReadUInt8(what)),
            GgufValueType.Int8 => Fill(new sbyte[n], () => reader.ReadInt8(what)),
            GgufValueType.UInt16 => Fill(new ushort[n], () => reader.ReadUInt16(what)),
            GgufValueType.Int16 => Fill(new short[n], () => reader.ReadInt16(what)),
            GgufValueType.UInt32 => Fill(new uint[n], () => reader.ReadUInt32(what)),
            GgufValueType.Int32 => Fill(new int[n], () => reader.ReadInt32(what)),
            GgufValueType.Float32 => Fill(new float[n], () => reader.ReadFloat32(what)),
            GgufValueType.Bool => Fill(new bool[n], () => reader.ReadBool(what)),
            GgufValueType.String => Fill(new string[n], () => reader.ReadString(what)),
            GgufValueType.UInt64 => Fill(new ulong[n], () => reader.ReadUInt64(what)),
            GgufValueType.Int64 => Fill(new long[n], () => reader.ReadInt64(what)),
            _ => Fill(new double[n], () => reader.ReadFloat64(what)),
        };
        return GgufMetadataValue.FromDecodedArray(elementType, values);
    }

    private static T[] Fill<T>(T[] values, Func<T> read)
    {
        for (var i = 0; i < values.Length; i++) values[i] = read();
        return values;
    }

    /// <summary>Bytes per array element in the file; for strings the least (the length prefix). Null for an unknown type.</summary>
    private static int? ElementSize(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 or GgufValueType.String => 8,
        _ => null,
    };
}
