using LlamaSteer.Gguf;
using NUnit.Framework;

namespace LlamaSteer.Core.Tests.Gguf;

public sealed class GgmlTypeInfoTests
{
    public static IEnumerable<GgmlType> KnownTypes() => GgmlTypeInfo.KnownTypes;

    [TestCaseSource(nameof(KnownTypes))]
    public void BlockSizeTypeSizeAndNameMatchTheLoadedLlamaCpp(GgmlType type)
    {
        Assert.Multiple(() =>
        {
            Assert.That(GgmlTypeInfo.BlockSize(type), Is.EqualTo(LlamaCppGguf.BlockSize(type)));
            Assert.That(GgmlTypeInfo.TypeSize(type), Is.EqualTo(LlamaCppGguf.TypeSize(type)));
            Assert.That(GgmlTypeInfo.Name(type), Is.EqualTo(LlamaCppGguf.TypeName(type)));
        });
    }

    [Test]
    public void EveryEnumMemberIsInTheTableAndIdsGgmlRemovedAreNot()
    {
        Assert.That(GgmlTypeInfo.KnownTypes, Is.EquivalentTo(Enum.GetValues<GgmlType>()));
        // ggml.h: ids 4, 5 (Q4_2, Q4_3), 31-33 (Q4_0_x_x) and 36-38 (IQ4_NL_x_x) were removed; ggml gives them block size 0.
        foreach (var removed in new uint[] { 4, 5, 31, 32, 33, 36, 37, 38 })
        {
            Assert.That(GgmlTypeInfo.IsKnown((GgmlType)removed), Is.False, $"id {removed}");
            Assert.That(LlamaCppGguf.BlockSize((GgmlType)removed), Is.Zero, $"id {removed}");
        }
    }

    [Test]
    public void ByteSizeIsBlocksPerRowTimesBlockBytesTimesRows()
    {
        var blocksPerRow = 3;
        long[] dims = [GgmlTypeInfo.BlockSize(GgmlType.Q4_K) * blocksPerRow, 5, 2];

        Assert.That(GgmlTypeInfo.ByteSize(GgmlType.Q4_K, dims), Is.EqualTo(blocksPerRow * GgmlTypeInfo.TypeSize(GgmlType.Q4_K) * 5 * 2));
        Assert.That(GgmlTypeInfo.ByteSize(GgmlType.F32, [64, 512]), Is.EqualTo(64 * 512 * sizeof(float)));
        Assert.That(GgmlTypeInfo.RowSize(GgmlType.F16, 10), Is.EqualTo(20));
        Assert.That(GgmlTypeInfo.ElementCount([2, 3, 4, 5]), Is.EqualTo(120));
    }

    [Test]
    public void InvalidShapesAndUnknownTypesAreRefused()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => GgmlTypeInfo.ByteSize(GgmlType.Q4_0, [33]), Throws.ArgumentException.With.Message.Contains("multiple of its block size 32"));
            Assert.That(() => GgmlTypeInfo.ByteSize(GgmlType.F32, []), Throws.ArgumentException.With.Message.Contains("0 dimensions"));
            Assert.That(() => GgmlTypeInfo.ByteSize(GgmlType.F32, [1, 1, 1, 1, 1]), Throws.ArgumentException.With.Message.Contains("5 dimensions"));
            Assert.That(() => GgmlTypeInfo.ByteSize(GgmlType.F32, [4, 0]), Throws.ArgumentException.With.Message.Contains("dimension 1 is 0"));
            Assert.That(() => GgmlTypeInfo.ByteSize(GgmlType.F32, [long.MaxValue / 2, 3]), Throws.ArgumentException.With.Message.Contains("more than"));
            Assert.That(() => GgmlTypeInfo.ByteSize(GgmlType.F32, [long.MaxValue / 2]), Throws.ArgumentException.With.Message.Contains("bytes"), "elements fit, bytes do not");
            Assert.That(() => GgmlTypeInfo.ByteSize((GgmlType)44, [32]), Throws.TypeOf<ArgumentOutOfRangeException>());
            Assert.That(GgmlTypeInfo.Name((GgmlType)44), Is.EqualTo("unknown(44)"));
        });
    }
}
