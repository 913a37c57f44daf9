using System.Buffers.Binary;
using System.Text;
using LlamaSteer.Gguf;
using LlamaSteer.Testing;

namespace LlamaSteer.Host.Tests.Cli;

/// <summary>Copies of the real model with one thing changed: bytes patched in place, or the file rewritten with an edited metadata value or tensor.</summary>
internal static class ModelEdits
{
    /// <summary>The model's bytes with the 4 bytes of the value of <paramref name="key"/> (a uint32 or float32 entry) replaced.</summary>
    public static byte[] PatchValue(string key, Action<Span<byte>> patch)
    {
        var bytes = File.ReadAllBytes(TestPaths.Model);
        var name = Encoding.UTF8.GetBytes(key);
        var at = bytes.AsSpan().IndexOf(name);
        Assert.That(at, Is.GreaterThan(0), $"{key} is not in the model");
        // key bytes, then the uint32 value type, then the value.
        patch(bytes.AsSpan(at + name.Length + 4, 4));
        return bytes;
    }

    public static byte[] PatchUInt32(string key, uint value) => PatchValue(key, s => BinaryPrimitives.WriteUInt32LittleEndian(s, value));

    public static byte[] PatchFloat(string key, float value) => PatchValue(key, s => BinaryPrimitives.WriteSingleLittleEndian(s, value));

    /// <summary>The model rewritten with <paramref name="editMetadata"/> applied and each tensor copied, or replaced by <paramref name="editTensor"/>.</summary>
    public static string Rewrite(string folder, string name, Action<GgufWriter, GgufFile> editMetadata, Func<GgufFile, GgufTensorInfo, bool>? editTensor = null, Action<GgufWriter, GgufFile, GgufTensorInfo>? replaceTensor = null)
    {
        var file = GgufFile.Read(TestPaths.Model);
        var writer = GgufWriter.From(file);
        editMetadata(writer, file);
        foreach (var t in file.Tensors)
        {
            if (editTensor?.Invoke(file, t) == true) replaceTensor!(writer, file, t);
            else writer.AddTensor(t.Name, t.Type, [.. t.Dimensions], file.ReadTensorBytes(t));
        }
        var path = Path.Combine(folder, name);
        writer.WriteTo(path);
        return path;
    }

    public static string Save(string folder, string name, byte[] bytes)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
