using System.Buffers.Binary;

namespace LlamaSteer.Gguf;

public sealed partial class GgufFile
{
    /// <summary>The tensor's raw bytes as stored (quantized blocks stay quantized).</summary>
    /// <exception cref="ArgumentException">The tensor is not one of this file's.</exception>
    /// <exception cref="NotSupportedException">The tensor is larger than one .NET array can hold.</exception>
    /// <exception cref="GgufFormatException">The file was shortened since it was read.</exception>
    /// <exception cref="IOException">The file could not be read.</exception>
    public byte[] ReadTensorBytes(GgufTensorInfo tensor)
    {
        CheckOwn(tensor);
        if (tensor.ByteSize > Array.MaxLength)
            throw new NotSupportedException($"Tensor '{tensor.Name}' is {tensor.ByteSize:N0} bytes, more than one .NET array holds.");
        var bytes = new byte[tensor.ByteSize];
        using var stream = new FileStream(_fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        try
        {
            stream.Seek(tensor.FileOffset, SeekOrigin.Begin);
            stream.ReadExactly(bytes);
        }
        catch (EndOfStreamException e)
        {
            throw new GgufFormatException(FilePath, $"truncated since it was read: tensor '{tensor.Name}' needs bytes up to {tensor.FileOffset + tensor.ByteSize:N0}", e);
        }
        return bytes;
    }

    /// <summary>The tensor's elements as floats: f32 as stored, f16 and bf16 widened exactly.</summary>
    /// <exception cref="NotSupportedException">The tensor is of another type (quantized types are not dequantized here), or too large for one array.</exception>
    /// <inheritdoc cref="ReadTensorBytes" path="/exception"/>
    public float[] ReadTensorF32(GgufTensorInfo tensor)
    {
        CheckOwn(tensor);
        if (tensor.Type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16))
            throw new NotSupportedException(
                $"Tensor '{tensor.Name}' is {GgmlTypeInfo.Name(tensor.Type)}; ReadTensorF32 converts only f32, f16 and bf16 (use ReadTensorBytes for the raw blocks).");
        var bytes = ReadTensorBytes(tensor);
        var values = new float[tensor.ElementCount];
        switch (tensor.Type)
        {
            case GgmlType.F32:
                for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
                break;
            case GgmlType.F16:
                for (var i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(i * 2));
                break;
            default:
                // bf16 is the upper half of an IEEE float32.
                for (var i = 0; i < values.Length; i++)
                    values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i * 2)) << 16);
                break;
        }
        return values;
    }

    private void CheckOwn(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!Equals(FindTensor(tensor.Name), tensor))
            throw new ArgumentException($"Tensor '{tensor.Name}' is not one of {FilePath}'s tensors.", nameof(tensor));
    }
}
