using System.Collections.ObjectModel;

namespace LlamaSteer.Gguf;

/// <summary>
/// The header, metadata and tensor table of a GGUF file (v2 or v3), read and validated by
/// <see cref="Read"/> without reading tensor data. Validation follows llama.cpp v0.5.0's own reader, so a
/// file that fails here would fail (or worse) in native code, and one that passes has every tensor's
/// data inside the file. Tensor data is read on demand by <see cref="ReadTensorBytes"/> and
/// <see cref="ReadTensorF32"/>, each call opening the file anew; no handle is held, so there is nothing
/// to dispose. Immutable and thread-safe.
/// </summary>
public sealed partial class GgufFile
{
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName;

    // Tensor data is read later, perhaps after the current directory changed; FilePath stays as given for messages.
    private readonly string _fullPath;

    internal GgufFile(string filePath, uint version, uint alignment, long dataOffset, long fileLength,
        OrderedDictionary<string, GgufMetadataValue> metadata, List<GgufTensorInfo> tensors)
    {
        FilePath = filePath;
        _fullPath = Path.GetFullPath(filePath);
        Version = version;
        Alignment = alignment;
        DataOffset = dataOffset;
        FileLength = fileLength;
        Metadata = new ReadOnlyDictionary<string, GgufMetadataValue>(metadata);
        Tensors = tensors.AsReadOnly();
        _tensorsByName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Reads and validates the file's header, metadata and tensor table.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="GgufFormatException">The file is not valid GGUF, or not one llama.cpp would load; the message names the file and the problem.</exception>
    /// <exception cref="IOException">The file could not be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    public static GgufFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException(Directory.Exists(path) ? $"{path} is a folder, not a GGUF file." : $"No GGUF file at {path}.", path);
        return GgufFileParser.Parse(path);
    }

    /// <summary>The path the file was read from, as given to <see cref="Read"/>.</summary>
    public string FilePath { get; }

    /// <summary>The GGUF version: 2 or 3 (they share one layout).</summary>
    public uint Version { get; }

    /// <summary><c>general.alignment</c>, or 32 when absent; tensor data offsets are multiples of it.</summary>
    public uint Alignment { get; }

    /// <summary>Where the data section starts: after the tensor table, padded to the alignment when there are tensors (as <c>gguf_get_data_offset</c>).</summary>
    public long DataOffset { get; }

    /// <summary>The file's length in bytes when it was read.</summary>
    public long FileLength { get; }

    /// <summary>Every metadata entry; enumerates in file order.</summary>
    public IReadOnlyDictionary<string, GgufMetadataValue> Metadata { get; }

    /// <summary>The tensor table in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>The tensor named <paramref name="name"/>, or null.</summary>
    public GgufTensorInfo? FindTensor(string name) => _tensorsByName.GetValueOrDefault(name);

    /// <summary><c>general.architecture</c> ("llama"), or null.</summary>
    public string? Architecture => GetString("general.architecture");

    /// <summary>A string value, or null when the key is absent.</summary>
    /// <exception cref="GgufFormatException">The value is not a string.</exception>
    public string? GetString(string key) => Get(key) is { } value ? value.Value as string ?? throw WrongType(key, value, "a string") : null;

    /// <summary>An integer value of any width and signedness, or null when the key is absent.</summary>
    /// <exception cref="GgufFormatException">The value is not an integer, or does not fit a long.</exception>
    public long? GetInt64(string key)
    {
        if (Get(key) is not { } value) return null;
        return value.TryGetInt64(out var result) ? result : throw WrongType(key, value, "an integer that fits a signed 64-bit value");
    }

    /// <summary>An integer value of any width and signedness, or null when the key is absent.</summary>
    /// <exception cref="GgufFormatException">The value is not an integer, or is negative or above <see cref="uint.MaxValue"/>.</exception>
    public uint? GetUInt32(string key)
    {
        if (Get(key) is not { } value) return null;
        return value.TryGetUInt64(out var result) && result <= uint.MaxValue ? (uint)result : throw WrongType(key, value, "an integer from 0 to 4,294,967,295");
    }

    /// <summary>A float32 value (or a float64 one, narrowed), or null when the key is absent.</summary>
    /// <exception cref="GgufFormatException">The value is not a floating-point number.</exception>
    public float? GetFloat(string key) => Get(key) switch
    {
        null => null,
        { Value: float f } => f,
        { Value: double d } => (float)d,
        var value => throw WrongType(key, value, "a float32 or float64"),
    };

    /// <summary>A bool value, or null when the key is absent.</summary>
    /// <exception cref="GgufFormatException">The value is not a bool.</exception>
    public bool? GetBool(string key) => Get(key) switch
    {
        null => null,
        { Value: bool b } => b,
        var value => throw WrongType(key, value, "a bool"),
    };

    /// <summary>A copy of a string array, or null when the key is absent.</summary>
    /// <exception cref="GgufFormatException">The value is not an array of strings.</exception>
    public string[]? GetStringArray(string key) => Get(key) switch
    {
        null => null,
        { Value: string[] strings } => (string[])strings.Clone(),
        var value => throw WrongType(key, value, "an array of strings"),
    };

    private GgufMetadataValue? Get(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Metadata.GetValueOrDefault(key);
    }

    private GgufFormatException WrongType(string key, GgufMetadataValue value, string expected) =>
        new(FilePath, $"metadata '{key}' should be {expected} but is {value.TypeDescription} {value.Format(80, 4)}");
}
