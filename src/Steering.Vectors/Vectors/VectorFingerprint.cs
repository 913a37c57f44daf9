using System.Buffers.Binary;
using System.Security.Cryptography;

namespace LlamaSteer.Vectors;

/// <summary>
/// A SHA-256 fingerprint of a vector's directions, which files that belong to a vector (CLAS parameters)
/// or record one (a model with the vector baked in) keep to recognise it. Stateless and thread-safe.
/// </summary>
public static class VectorFingerprint
{
    /// <summary>
    /// SHA-256 (lower-case hex) over n_embd and, for each layer ascending, the layer number and its
    /// direction's floats (all little-endian int32 / float32): any change to the directions or the
    /// layer list changes it; provenance does not.
    /// </summary>
    public static string Of(SteeringVector vector)
    {
        ArgumentNullException.ThrowIfNull(vector);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(four, vector.EmbeddingSize);
        sha.AppendData(four);
        var bytes = new byte[vector.EmbeddingSize * sizeof(float)];
        foreach (var layer in vector.Layers)
        {
            BinaryPrimitives.WriteInt32LittleEndian(four, layer);
            sha.AppendData(four);
            var d = vector.Direction(layer);
            for (var i = 0; i < d.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), d[i]);
            sha.AppendData(bytes);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
