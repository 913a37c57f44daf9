using LlamaSteer.Gguf;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Native.Runtime;
using LlamaSteer.Planning;
using LlamaSteer.Synthesis;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Planning;

/// <summary>
/// The memory estimate against what llama.cpp reports allocating on the CPU backend (its buffer log lines) for the same
/// model and context: the shipped model and synthetic ones with grouped-query attention, quantized and tied weights.
/// </summary>
[TestFixture]
public class MemoryEstimateTests
{
    private string _dir = null!;

    [SetUp] public void MakeDir() => _dir = TestPaths.NewTempDirectory();
    [TearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    private static (MemoryEstimate Estimate, MeasuredAllocations Measured) EstimateAndMeasure(string path, int contextSize, int sequences, int batch)
    {
        var estimate = MemoryEstimate.For(path, new MemoryRequest(contextSize, sequences, batch));
        using var capture = NativeLog.Capture();
        using var model = LlamaModel.Load(path);
        using var context = model.CreateContext(new ContextOptions { ContextSize = contextSize, MaxSequences = sequences, BatchSize = batch, Threads = 1 });
        capture.Dispose();
        return (estimate, MeasuredAllocations.Parse(capture.Lines));
    }

    private static void AssertMatches(string path, MemoryEstimate e, MeasuredAllocations m)
    {
        var file = GgufFile.Read(path);
        // The mapped model buffer spans the file's tensor data, padding between tensors included.
        var padding = (long)file.Tensors.Count * file.Alignment;
        TestContext.Out.WriteLine($"{Path.GetFileName(path)}: estimate weights {e.WeightBytes} KV {e.KvBytes} compute {e.ComputeBytes} output {e.OutputBufferBytes}; measured {m}");
        Assert.Multiple(() =>
        {
            Assert.That(m.BufferCount, Is.GreaterThanOrEqualTo(4), "llama.cpp reported its model, KV, output and compute buffers");
            Assert.That(m.ModelBytes, Is.InRange(e.WeightBytes - MeasuredAllocations.PrecisionBytes, e.WeightBytes + padding + MeasuredAllocations.PrecisionBytes), "weights");
            Assert.That(m.KvBytes, Is.EqualTo(e.KvBytes).Within(MeasuredAllocations.PrecisionBytes), "KV cache");
            Assert.That(e.ComputeBytes, Is.InRange(m.ComputeBytes - MeasuredAllocations.PrecisionBytes, 1.5 * m.ComputeBytes + MeasuredAllocations.PrecisionBytes),
                "compute buffer: never under what llama.cpp reserves, at most half again as much");
            Assert.That(m.OutputBytes, Is.EqualTo(e.OutputBufferBytes).Within(MeasuredAllocations.PrecisionBytes), "output buffer");
        });
    }

    [TestCase(256, 1, 256)]
    [TestCase(2048, 1, 512)]
    [TestCase(1000, 8, 64)]
    public void ShippedModelEstimateMatchesTheCpuAllocations(int contextSize, int sequences, int batch)
    {
        var (e, m) = EstimateAndMeasure(TestPaths.Model, contextSize, sequences, batch);
        AssertMatches(TestPaths.Model, e, m);
    }

    [TestCase(GgmlType.F16, false)]
    [TestCase(GgmlType.Q8_0, false)]
    [TestCase(GgmlType.F32, true)]
    public void SyntheticModelEstimateMatchesTheCpuAllocations(GgmlType type, bool tied)
    {
        var path = Path.Combine(_dir, "model.gguf");
        // Grouped-query attention (8 heads, 2 KV heads) and a vocabulary larger than the donor's, written in milliseconds.
        SyntheticModelWriter.Write(new SyntheticModelSpec(new ModelShape(128, 3, 8, 2, 256, 1024)) { WeightType = type, TiedEmbeddings = tied, Seed = 3 },
            GgufFile.Read(TestPaths.Model), path);
        var (e, m) = EstimateAndMeasure(path, 512, 2, 128);
        AssertMatches(path, e, m);
        Assert.That(e.TiedOutput, Is.EqualTo(tied));
    }

    [Test]
    public void OffloadingCountsTheOutputLayerFirstThenLayersFromTheLast()
    {
        var e = MemoryEstimate.For(TestPaths.Model, new MemoryRequest(2048));
        Assert.Multiple(() =>
        {
            Assert.That(e.GpuBytes(0), Is.Zero);
            Assert.That(e.GpuBytes(1), Is.EqualTo(e.OutputBytes + e.ComputeBytes));
            Assert.That(e.GpuBytes(2), Is.EqualTo(e.GpuBytes(1) + e.LayerWeightBytes[^1] + e.LayerKvBytes[^1]));
            Assert.That(e.GpuBytes(-1), Is.EqualTo(e.GpuBytes(e.LayerCount + 1)));
            Assert.That(e.GpuBytes(-1), Is.EqualTo(e.OutputBytes + e.ComputeBytes + e.LayerWeightBytes.Sum() + e.KvBytes));
            Assert.That(e.LayersThatFit(e.GpuBytes(3), 0), Is.EqualTo(3), "exactly the memory of 3 layers fits 3");
            Assert.That(e.LayersThatFit(e.GpuBytes(3) - 1, 0), Is.EqualTo(2));
            Assert.That(e.LayersThatFit(long.MaxValue / 2, 0), Is.EqualTo(e.LayerCount + 1));
            Assert.That(e.LayersThatFit(e.GpuBytes(1) + 100, 200), Is.Zero, "the headroom is kept free");
        });
    }
}
