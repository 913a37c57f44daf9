using System.Buffers.Binary;
using System.Collections.ObjectModel;

namespace LlamaSteer.Gguf;

/// <summary>
/// Builds a GGUF v3 file: metadata entries (a key set twice keeps its first position and takes the
/// new value) and tensors, written in the order added, laid out as llama.cpp's own writer lays them out
/// (each tensor's data padded to the alignment). Everything is validated when it is added, so
/// <see cref="WriteTo(string)"/> only fails for I/O reasons or a tensor callback that misbehaves; it
/// replaces the target atomically. Holds added tensor data in memory until written. Not thread-safe.
/// </summary>
public sealed partial class GgufWriter
{
    private sealed record PendingTensor(string Name, long[] Dimensions, GgmlType Type, long ByteSize, byte[]? Data, Action<Stream>? WriteData);

    private readonly OrderedDictionary<string, GgufMetadataValue> _metadata = new(StringComparer.Ordinal);
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    /// <summary>A writer holding a copy of <paramref name="file"/>'s metadata, in the file's order, and no tensors.</summary>
    public static GgufWriter From(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var writer = new GgufWriter();
        foreach (var (key, value) in file.Metadata) writer.Set(key, value);
        return writer;
    }

    /// <summary>The metadata to write, in order.</summary>
    public IReadOnlyDictionary<string, GgufMetadataValue> Metadata => new ReadOnlyDictionary<string, GgufMetadataValue>(_metadata);

    /// <summary>The names of the tensors to write, in order.</summary>
    public IReadOnlyList<string> TensorNames => _tensors.Select(t => t.Name).ToArray();

    /// <summary><c>general.alignment</c> if set, else 32.</summary>
    public uint Alignment => _metadata.TryGetValue(GgufFormat.AlignmentKey, out var value) ? (uint)value.Value : GgufFormat.DefaultAlignment;

    /// <summary>Sets a metadata entry, replacing any value the key had.</summary>
    /// <exception cref="ArgumentException">The key is empty or not valid UTF-16, or <c>general.alignment</c> is not a uint32 power of two.</exception>
    public GgufWriter Set(string key, GgufMetadataValue value)
    {
        CheckName(key, nameof(key), "A metadata key");
        ArgumentNullException.ThrowIfNull(value);
        if (key == GgufFormat.AlignmentKey && !(value.Value is uint alignment && GgufFormat.IsPowerOfTwo(alignment)))
            throw new ArgumentException($"'{GgufFormat.AlignmentKey}' must be a uint32 power of two, not {value.TypeDescription} {value}.", nameof(value));
        _metadata[key] = value;
        return this;
    }

    /// <summary>Removes a metadata entry; false when there was none.</summary>
    public bool Remove(string key) => _metadata.Remove(key);

    public GgufWriter SetUInt8(string key, byte value) => Set(key, GgufMetadataValue.From(value));
    public GgufWriter SetInt8(string key, sbyte value) => Set(key, GgufMetadataValue.From(value));
    public GgufWriter SetUInt16(string key, ushort value) => Set(key, GgufMetadataValue.From(value));
    public GgufWriter SetInt16(string key, short value) => Set(key, GgufMetadataValue.From(value));
    public GgufWriter SetUInt32(string key, uint value) => Set(key, GgufMetadataValue.From(value));
    public GgufWriter SetInt32(string key, int value) => Set(key, GgufMetadataValue.From(value));
    public GgufWriter SetFloat32(string key, float value) => Set(key, GgufMetadataValue.From(value));
    public GgufWriter SetBool(string key, bool value) => Set(key, GgufMetadataValue.From(value));
    public GgufWriter SetUInt64(string key, ulong value) => Set(key, GgufMetadataValue.From(value));
    public GgufWriter SetInt64(string key, long value) => Set(key, GgufMetadataValue.From(value));
    public GgufWriter SetFloat64(string key, double value) => Set(key, GgufMetadataValue.From(value));

    /// <exception cref="ArgumentException">The string is not valid UTF-16.</exception>
    public GgufWriter SetString(string key, string value) => Set(key, GgufMetadataValue.From(value));

    public GgufWriter SetArray(string key, byte[] values) => Set(key, GgufMetadataValue.From(values));
    public GgufWriter SetArray(string key, sbyte[] values) => Set(key, GgufMetadataValue.From(values));
    public GgufWriter SetArray(string key, ushort[] values) => Set(key, GgufMetadataValue.From(values));
    public GgufWriter SetArray(string key, short[] values) => Set(key, GgufMetadataValue.From(values));
    public GgufWriter SetArray(string key, uint[] values) => Set(key, GgufMetadataValue.From(values));
    public GgufWriter SetArray(string key, int[] values) => Set(key, GgufMetadataValue.From(values));
    public GgufWriter SetArray(string key, float[] values) => Set(key, GgufMetadataValue.From(values));
    public GgufWriter SetArray(string key, bool[] values) => Set(key, GgufMetadataValue.From(values));
    public GgufWriter SetArray(string key, ulong[] values) => Set(key, GgufMetadataValue.From(values));
    public GgufWriter SetArray(string key, long[] values) => Set(key, GgufMetadataValue.From(values));
    public GgufWriter SetArray(string key, double[] values) => Set(key, GgufMetadataValue.From(values));

    /// <exception cref="ArgumentException">An element is null or not valid UTF-16.</exception>
    public GgufWriter SetArray(string key, string[] values) => Set(key, GgufMetadataValue.From(values));

    /// <summary>Adds an F32 tensor; <paramref name="data"/> is copied.</summary>
    /// <param name="name">Unique, 1 to 63 UTF-8 bytes (llama.cpp's GGML_MAX_NAME).</param>
    /// <param name="data">The elements, ne[0] varying fastest.</param>
    /// <param name="dims">ne[0] first; 1 to 4 dimensions whose product is <c>data.Length</c>.</param>
    /// <exception cref="ArgumentException">The name is invalid or taken, the shape is invalid, or it does not match the data's length.</exception>
    public GgufWriter AddTensor(string name, ReadOnlySpan<float> data, params long[] dims)
    {
        var byteSize = CheckTensor(name, GgmlType.F32, dims);
        if (data.Length != byteSize / sizeof(float))
            throw new ArgumentException($"Tensor '{name}' of shape {GgmlTypeInfo.FormatShape(dims)} has {byteSize / sizeof(float):N0} elements, but {data.Length:N0} values were given.", nameof(data));
        var bytes = new byte[byteSize];
        for (var i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), data[i]);
        return Add(new PendingTensor(name, (long[])dims.Clone(), GgmlType.F32, byteSize, bytes, null));
    }

    /// <summary>Adds a tensor of any known type from its raw little-endian bytes (quantized blocks as ggml lays them out); <paramref name="raw"/> is copied.</summary>
    /// <exception cref="ArgumentException">The name is invalid or taken, the type unknown, the shape invalid for the type, or <paramref name="raw"/> is not exactly the tensor's size.</exception>
    public GgufWriter AddTensor(string name, GgmlType type, long[] dims, byte[] raw)
    {
        var byteSize = CheckTensor(name, type, dims);
        ArgumentNullException.ThrowIfNull(raw);
        if (raw.LongLength != byteSize)
            throw new ArgumentException($"Tensor '{name}' of type {GgmlTypeInfo.Name(type)} and shape {GgmlTypeInfo.FormatShape(dims)} takes {byteSize:N0} bytes, but {raw.LongLength:N0} were given.", nameof(raw));
        return Add(new PendingTensor(name, (long[])dims.Clone(), type, byteSize, (byte[])raw.Clone(), null));
    }

    /// <summary>
    /// Adds a tensor whose data <paramref name="writeData"/> streams during <see cref="WriteTo(Stream)"/>, for data too large
    /// to hold in memory. The callback gets a write-only stream and must write exactly the tensor's byte size; writing more,
    /// writing less, or throwing fails the write (and <see cref="WriteTo(string)"/> then leaves the target untouched).
    /// </summary>
    /// <exception cref="ArgumentException">The name is invalid or taken, the type unknown, or the shape invalid for the type.</exception>
    public GgufWriter AddTensor(string name, GgmlType type, long[] dims, Action<Stream> writeData)
    {
        var byteSize = CheckTensor(name, type, dims);
        ArgumentNullException.ThrowIfNull(writeData);
        return Add(new PendingTensor(name, (long[])dims.Clone(), type, byteSize, null, writeData));
    }

    private GgufWriter Add(PendingTensor tensor)
    {
        _tensors.Add(tensor);
        _tensorNames.Add(tensor.Name);
        return this;
    }

    private long CheckTensor(string name, GgmlType type, long[] dims)
    {
        CheckName(name, nameof(name), "A tensor name");
        var nameBytes = GgufFormat.StrictUtf8.GetByteCount(name);
        if (nameBytes > GgufFormat.MaxTensorNameBytes)
            throw new ArgumentException($"Tensor name '{name}' is {nameBytes} UTF-8 bytes; llama.cpp allows at most {GgufFormat.MaxTensorNameBytes}.", nameof(name));
        if (_tensorNames.Contains(name)) throw new ArgumentException($"A tensor named '{name}' was already added.", nameof(name));
        ArgumentNullException.ThrowIfNull(dims);
        if (!GgmlTypeInfo.TryByteSize(type, dims, out var byteSize, out var problem))
            throw new ArgumentException($"Tensor '{name}': {problem}.", GgmlTypeInfo.IsKnown(type) ? nameof(dims) : nameof(type));
        return byteSize;
    }

    private static void CheckName(string name, string paramName, string what)
    {
        ArgumentNullException.ThrowIfNull(name, paramName);
        if (name.Length == 0) throw new ArgumentException($"{what} cannot be empty.", paramName);
        try
        {
            GgufFormat.StrictUtf8.GetByteCount(name);
        }
        catch (System.Text.EncoderFallbackException e)
        {
            throw new ArgumentException($"{what} '{name}' is not valid UTF-16 and has no UTF-8 form.", paramName, e);
        }
    }
}
