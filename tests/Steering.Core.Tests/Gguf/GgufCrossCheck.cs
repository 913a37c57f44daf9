using LlamaSteer.Gguf;
using NUnit.Framework;

namespace LlamaSteer.Core.Tests.Gguf;

/// <summary>Compares what the managed reader and llama.cpp's gguf_init_from_file make of one file.</summary>
internal static class GgufCrossCheck
{
    public static void AssertSameAsLlamaCpp(GgufFile ours, LlamaCppGguf.Contents theirs)
    {
        Assert.Multiple(() =>
        {
            Assert.That(ours.Version, Is.EqualTo(theirs.Version), "version");
            Assert.That(ours.Alignment, Is.EqualTo(theirs.Alignment), "alignment");
            Assert.That(ours.DataOffset, Is.EqualTo(theirs.DataOffset), "data offset");
            Assert.That(ours.Metadata.Keys, Is.EqualTo(theirs.Metadata.Select(m => m.Key)), "keys in order");
            foreach (var (key, value) in theirs.Metadata)
                Assert.That(ours.Metadata[key], Is.EqualTo(value), key);
            Assert.That(ours.Tensors, Has.Count.EqualTo(theirs.Tensors.Count), "tensor count");
            foreach (var (tensor, native) in ours.Tensors.Zip(theirs.Tensors))
            {
                Assert.That(tensor.Name, Is.EqualTo(native.Name));
                Assert.That(tensor.Type, Is.EqualTo(native.Type), tensor.Name);
                // llama.cpp pads the shape with 1s up to four dimensions.
                Assert.That(tensor.Dimensions.Concat(Enumerable.Repeat(1L, 4 - tensor.Dimensions.Count)), Is.EqualTo(native.Ne), tensor.Name);
                Assert.That(tensor.Offset, Is.EqualTo(native.Offset), tensor.Name);
                Assert.That(tensor.ByteSize, Is.EqualTo(native.Size), tensor.Name);
            }
        });
    }
}
