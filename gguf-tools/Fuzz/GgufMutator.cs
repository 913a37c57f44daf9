using System.Buffers.Binary;
using System.Text;
using LlamaSteer.Gguf;

namespace LlamaSteer.GgufTools.Fuzz;

/// <summary>
/// Makes mutated copies of one valid GGUF file: bit flips and interesting values in the header and metadata bytes,
/// truncations, patched tensor-table fields, flipped tensor data, and structure-aware edits (a metadata value
/// replaced by an interesting one of its own or another type, removed, or a string array with a duplicated, emptied
/// or dropped entry) written back with <see cref="GgufWriter"/>. Deterministic for a seed. Not thread-safe.
/// </summary>
internal sealed class GgufMutator
{
    private static readonly string[] Strategies = ["flip-header", "value-header", "truncate", "tensor-field", "flip-data", "metadata-value", "metadata-type", "metadata-remove", "string-array"];

    private static readonly string[] InterestingStrings = ["", "bert", "gpt2", "t5", "rwkv", "llama", "none", "no_vocab", "gemma4", "yarn", "controlvector", "x", "\u00ff\u0000", new string('a', 1000)];

    private readonly byte[] _original;
    private readonly GgufFile _file;
    private readonly byte[][] _tensorData;
    private readonly Random _random;

    public GgufMutator(string path, int seed)
    {
        _original = File.ReadAllBytes(path);
        _file = GgufFile.Read(path);
        _tensorData = _file.Tensors.Select(_file.ReadTensorBytes).ToArray();
        _random = new Random(seed);
    }

    /// <summary>A mutated copy and the name of the strategy that made it.</summary>
    public (byte[] Bytes, string Strategy) Next()
    {
        var strategy = Strategies[_random.Next(Strategies.Length)];
        return (strategy switch
        {
            "flip-header" => FlipBits(HeaderEnd),
            "value-header" => PatchValue(0, HeaderEnd),
            "truncate" => _original[.._random.Next(_original.Length)],
            "tensor-field" => TensorField(),
            "flip-data" => FlipData(),
            "metadata-value" => Rewrite(w => SetInteresting(w, RandomKey(), sameType: true)),
            "metadata-type" => Rewrite(w => SetInteresting(w, RandomKey(), sameType: false)),
            "metadata-remove" => Rewrite(w => w.Remove(RandomKey())),
            _ => Rewrite(EditStringArray),
        }, strategy);
    }

    private int HeaderEnd => (int)Math.Min(_file.DataOffset, _original.Length);

    private byte[] FlipBits(int end)
    {
        var bytes = (byte[])_original.Clone();
        for (var i = 1 + _random.Next(8); i > 0; i--) bytes[_random.Next(end)] ^= (byte)(1 << _random.Next(8));
        return bytes;
    }

    private byte[] FlipData()
    {
        var bytes = (byte[])_original.Clone();
        var start = HeaderEnd;
        if (start >= bytes.Length) return bytes;
        for (var i = 1 + _random.Next(64); i > 0; i--) bytes[start + _random.Next(bytes.Length - start)] = (byte)_random.Next(256);
        return bytes;
    }

    private byte[] PatchValue(int start, int end)
    {
        var bytes = (byte[])_original.Clone();
        var width = new[] { 1, 2, 4, 8 }[_random.Next(4)];
        if (end - start <= width) return bytes;
        var at = start + _random.Next(end - start - width);
        WriteInteresting(bytes.AsSpan(at, width));
        return bytes;
    }

    private void WriteInteresting(Span<byte> target)
    {
        ulong[] values = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 513, 0x7FC00000 /* NaN */, 0xBF800000 /* -1f */, ulong.MaxValue, long.MaxValue];
        var value = values[_random.Next(values.Length)];
        Span<byte> eight = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(eight, value);
        eight[..target.Length].CopyTo(target);
    }

    private byte[] TensorField()
    {
        var bytes = (byte[])_original.Clone();
        var tensor = _file.Tensors[_random.Next(_file.Tensors.Count)];
        var name = Encoding.UTF8.GetBytes(tensor.Name);
        var at = bytes.AsSpan(0, HeaderEnd).IndexOf(name);
        if (at < 0) return bytes;
        // After the name: n_dims (4), ne[n_dims] (8 each), type (4), offset (8).
        var fields = at + name.Length;
        var dims = tensor.Dimensions.Count;
        var choice = _random.Next(4);
        var (offset, width) = choice switch
        {
            0 => (fields, 4),
            1 => (fields + 4 + 8 * _random.Next(dims), 8),
            2 => (fields + 4 + 8 * dims, 4),
            _ => (fields + 8 + 8 * dims, 8),
        };
        if (choice == 2)
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset, 4), (uint)_random.Next(42));
        else
            WriteInteresting(bytes.AsSpan(offset, width));
        return bytes;
    }

    private string RandomKey() => _file.Metadata.Keys.ElementAt(_random.Next(_file.Metadata.Count));

    private byte[] Rewrite(Action<GgufWriter> edit)
    {
        var writer = GgufWriter.From(_file);
        edit(writer);
        for (var i = 0; i < _file.Tensors.Count; i++)
        {
            var t = _file.Tensors[i];
            writer.AddTensor(t.Name, t.Type, [.. t.Dimensions], _tensorData[i]);
        }
        using var stream = new MemoryStream(_original.Length + 4096);
        try
        {
            writer.WriteTo(stream);
        }
        catch (ArgumentException)
        {
            // An edit the writer refuses (general.alignment that is no power of two): patch the bytes instead.
            return PatchValue(0, HeaderEnd);
        }
        return stream.ToArray();
    }

    private void SetInteresting(GgufWriter writer, string key, bool sameType)
    {
        var current = _file.Metadata[key];
        var type = sameType ? current.Type : (GgufValueType)new[] { 4, 5, 6, 7, 8, 10, 11, 12 }[_random.Next(8)];
        GgufMetadataValue value = type switch
        {
            GgufValueType.UInt8 => GgufMetadataValue.From((byte)Pick<ulong>([0, 1, 255])),
            GgufValueType.Int8 => GgufMetadataValue.From((sbyte)Pick<long>([0, -1, 127])),
            GgufValueType.UInt16 => GgufMetadataValue.From((ushort)Pick<ulong>([0, 1, 65535])),
            GgufValueType.Int16 => GgufMetadataValue.From((short)Pick<long>([0, -1, 32767])),
            GgufValueType.UInt32 => GgufMetadataValue.From((uint)Pick<ulong>([0, 1, 2, 3, 7, 64, 513, 1025, 65536, int.MaxValue, uint.MaxValue])),
            GgufValueType.Int32 => GgufMetadataValue.From((int)Pick<long>([0, -1, 1, 2, 513, int.MinValue, int.MaxValue])),
            GgufValueType.Float32 => GgufMetadataValue.From(Pick([float.NaN, -1f, 0f, float.PositiveInfinity, float.NegativeInfinity, 1e30f, 1e-30f, 1e-5f])),
            GgufValueType.Bool => GgufMetadataValue.From(_random.Next(2) == 0),
            GgufValueType.UInt64 => GgufMetadataValue.From(Pick<ulong>([0, 1, ulong.MaxValue, (ulong)long.MaxValue + 1])),
            GgufValueType.Int64 => GgufMetadataValue.From(Pick<long>([0, -1, long.MinValue, long.MaxValue])),
            GgufValueType.Float64 => GgufMetadataValue.From(Pick([double.NaN, -1.0, 0.0, double.PositiveInfinity, 1e300])),
            GgufValueType.String => GgufMetadataValue.From(Pick(InterestingStrings)),
            _ => GgufMetadataValue.From(Pick<string[]>([[], [""], ["a", "a"]])),
        };
        writer.Set(key, value);
    }

    private void EditStringArray(GgufWriter writer)
    {
        var arrays = _file.Metadata.Where(kv => kv.Value.Value is string[] or float[] or int[]).Select(kv => kv.Key).ToArray();
        if (arrays.Length == 0)
        {
            SetInteresting(writer, RandomKey(), sameType: false);
            return;
        }
        var key = arrays[_random.Next(arrays.Length)];
        switch (_file.Metadata[key].Value)
        {
            case string[] strings:
            {
                var copy = (string[])strings.Clone();
                if (copy.Length == 0) return;
                var i = _random.Next(copy.Length);
                switch (_random.Next(4))
                {
                    case 0: copy[i] = copy[_random.Next(copy.Length)]; break;
                    case 1: copy[i] = ""; break;
                    case 2: copy = copy[..i]; break;
                    default: Array.Fill(copy, ""); break;
                }
                writer.Set(key, GgufMetadataValue.From(copy));
                break;
            }
            case float[] floats:
            {
                var copy = (float[])floats.Clone();
                if (copy.Length == 0) return;
                if (_random.Next(2) == 0) copy[_random.Next(copy.Length)] = Pick([float.NaN, float.PositiveInfinity, -1e30f]);
                else copy = copy[.._random.Next(copy.Length)];
                writer.Set(key, GgufMetadataValue.From(copy));
                break;
            }
            case int[] ints:
            {
                var copy = (int[])ints.Clone();
                if (copy.Length == 0) return;
                if (_random.Next(2) == 0) copy[_random.Next(copy.Length)] = Pick([-1, 7, 100, int.MaxValue]);
                else copy = copy[.._random.Next(copy.Length)];
                writer.Set(key, GgufMetadataValue.From(copy));
                break;
            }
        }
    }

    private T Pick<T>(T[] values) => values[_random.Next(values.Length)];
}
