using System.Buffers.Binary;
using LlamaSteer.Native.SafeHandles;

namespace LlamaSteer.Native.Tests;

/// <summary>The checked wrapper over ggml_quantize_chunk: layouts as ggml writes them, and refusals before native code can abort.</summary>
[TestFixture]
public class QuantizerTests
{
    // enum ggml_type ids (ggml.h).
    private const int F32 = 0, F16 = 1, Q4_0 = 2, RemovedQ4_2 = 4, Q8_0 = 8, Q4_K = 12, Iq2Xxs = 16, Count = 43;

    private static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
    }

    [Test]
    public void Q80RowsDecodeBackToTheSourceWithinAboutHalfAStep()
    {
        const int rowLength = 64, rows = 3;
        var source = Values(rowLength * rows, 1);

        var bytes = Quantizer.QuantizeRows(Q8_0, source, rowLength);

        // block_q8_0 (ggml-common.h): an fp16 scale d, then 32 int8 q; x = d * q, d = max|x| / 127. ggml rounds with
        // the exact d and stores it as fp16 (relative error 2^-11), so |q| <= 127 adds up to 127 * 2^-11 * d to half a step.
        Assert.That(bytes, Has.Length.EqualTo(rows * Quantizer.RowSize(Q8_0, rowLength)));
        Assert.That(Quantizer.RowSize(Q8_0, rowLength), Is.EqualTo(rowLength / 32 * 34));
        for (var block = 0; block < source.Length / 32; block++)
        {
            var at = block * 34;
            var d = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(at));
            var values = source.AsSpan(block * 32, 32);
            Assert.That(d, Is.EqualTo(values.ToArray().Max(v => Math.Abs(v)) / 127).Within(1e-3), $"scale of block {block}");
            for (var i = 0; i < 32; i++)
                Assert.That(d * (sbyte)bytes[at + 2 + i], Is.EqualTo(values[i]).Within(d * (0.5 + 127.0 / 2048) + 1e-6), $"block {block} element {i}");
        }
    }

    [Test]
    public void F16ConversionRoundsAsSystemHalfDoes()
    {
        var source = Values(96, 2);

        var bytes = Quantizer.QuantizeRows(F16, source, 32);

        var expected = source.Select(v => (Half)v).ToArray();
        var actual = Enumerable.Range(0, source.Length).Select(i => BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(i * 2))).ToArray();
        Assert.That(actual, Is.EqualTo(expected));
    }

    [Test]
    public void F32IsCopiedAndQ40TakesItsBlockSize()
    {
        var source = Values(32, 3);

        Assert.That(Quantizer.QuantizeRows(F32, source, 32), Is.EqualTo(source.SelectMany(v => BitConverter.GetBytes(v)).ToArray()));
        Assert.That(Quantizer.QuantizeRows(Q4_0, source, 32), Has.Length.EqualTo(18));
    }

    [Test]
    public void WritesIntoALargerDestinationAndReturnsTheCount()
    {
        var source = Values(64, 4);
        var destination = new byte[1000];
        destination.AsSpan().Fill(0xAB);

        var written = Quantizer.QuantizeRows(Q8_0, source, 32, destination);

        Assert.That(written, Is.EqualTo(68));
        Assert.That(destination.AsSpan(0, 68).ToArray(), Is.EqualTo(Quantizer.QuantizeRows(Q8_0, source, 32)));
        Assert.That(destination.Skip(68), Is.All.EqualTo(0xAB), "nothing written past the rows");
    }

    [Test]
    public void TypesAreCheckedBeforeNativeCodeSeesThem()
    {
        var source = Values(256, 5);
        Assert.Multiple(() =>
        {
            Assert.That(Quantizer.CanQuantize(Q8_0), Is.True);
            Assert.That(Quantizer.CanQuantize(Q4_K), Is.True);
            Assert.That(Quantizer.CanQuantize(Iq2Xxs), Is.False, "needs an importance matrix");
            Assert.That(Quantizer.CanQuantize(RemovedQ4_2), Is.False);
            Assert.That(Quantizer.CanQuantize(Count), Is.False);
            Assert.That(Quantizer.CanQuantize(-1), Is.False);
            Assert.That(() => Quantizer.QuantizeRows(Iq2Xxs, source, 256), Throws.ArgumentException.With.Message.Contains("importance matrix"));
            Assert.That(() => Quantizer.QuantizeRows(RemovedQ4_2, source, 32), Throws.ArgumentException.With.Message.Contains("cannot convert"));
            Assert.That(() => Quantizer.RowSize(Count, 32), Throws.ArgumentException);
        });
    }

    [Test]
    public void ShapesAreCheckedBeforeNativeCodeSeesThem()
    {
        var source = Values(64, 6);
        Assert.Multiple(() =>
        {
            Assert.That(() => Quantizer.QuantizeRows(Q8_0, source, 16), Throws.ArgumentException.With.Message.Contains("block size 32"));
            Assert.That(() => Quantizer.QuantizeRows(Q4_K, source, 64), Throws.ArgumentException.With.Message.Contains("block size 256"));
            Assert.That(() => Quantizer.QuantizeRows(Q8_0, source, 0), Throws.ArgumentException);
            Assert.That(() => Quantizer.QuantizeRows(Q8_0, source.AsSpan(0, 48), 32), Throws.ArgumentException.With.Message.Contains("whole number of rows"));
            Assert.That(() => Quantizer.QuantizeRows(Q8_0, ReadOnlySpan<float>.Empty, 32), Throws.ArgumentException);
            Assert.That(() => Quantizer.QuantizeRows(Q8_0, source, 32, new byte[67]), Throws.ArgumentException.With.Message.Contains("destination"));
        });
    }
}
