using System.Runtime.InteropServices;
using LlamaSteer.Errors;
using LlamaSteer.Gguf;
using LlamaSteer.Native.SafeHandles;

namespace LlamaSteer.Synthesis;

/// <summary>How far a write has come: the tensor being written (1-based) and the tensor bytes written so far.</summary>
public readonly record struct SynthesisProgress(int Tensor, int TensorCount, string TensorName, long BytesWritten, long TotalBytes);

/// <summary>What was written.</summary>
public sealed record SynthesisResult(string Path, int TensorCount, long ParameterCount, long TensorBytes, long FileLength);

/// <summary>
/// Writes a llama-architecture GGUF model of a chosen shape with seeded random weights, so that speed can be
/// measured on realistic shapes without downloading real models. The weights are scaled so activations stay
/// finite through every layer (each matrix's standard deviation is 1/sqrt(its row length), norms are 1); the
/// text it generates is meaningless. The tokenizer comes from a donor model (<see cref="DonorTokenizer"/>).
/// Tensors are generated, converted (by ggml's own quantizer) and streamed block by block, so memory stays
/// small whatever the model's size, and the file is replaced atomically. Stateless and thread-safe.
/// </summary>
public static class SyntheticModelWriter
{
    // Values generated and converted at a time (16 MB of F32): large enough to spread over cores, small enough to hold.
    private const int BlockElements = 1 << 22;

    private const float RmsNormEpsilon = 1e-5f;
    private const float RopeFrequencyBase = 10000f;

    /// <summary>A tensor to write; a null standard deviation means all ones (a norm).</summary>
    internal sealed record PlannedTensor(string Name, GgmlType Type, long[] Dimensions, float? StandardDeviation)
    {
        public int RowLength => (int)Dimensions[0];
        public long Rows => Dimensions.Skip(1).Aggregate(1L, (a, b) => a * b);
        public long ByteSize => GgmlTypeInfo.ByteSize(Type, Dimensions);
        public int RowsPerBlock => Math.Max(1, BlockElements / RowLength);
    }

    /// <summary>Writes the model to <paramref name="path"/> (atomically: a failed or cancelled write leaves the target as it was).</summary>
    /// <param name="tokenizerDonor">A model whose <c>tokenizer.*</c> entries are copied; its vocabulary must not be larger than the shape's.</param>
    /// <param name="progress">Told after every block of rows; called on the writing thread.</param>
    /// <exception cref="ModelSynthesisException">The spec is invalid, or the donor's tokenizer cannot be used.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="IOException">Writing failed, <paramref name="path"/> is a folder, or the model would not fit the free disk space.</exception>
    /// <exception cref="ArgumentException">The model would be larger than <see cref="Limits.ResourceLimits.MaxSyntheticModelBytes"/>.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder may not be written.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; nothing was written.</exception>
    /// <exception cref="Native.Runtime.NativeRuntimeException">A quantized type was asked for and the llama.cpp runtime is missing.</exception>
    public static SynthesisResult Write(
        SyntheticModelSpec spec,
        GgufFile tokenizerDonor,
        string path,
        IProgress<SynthesisProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(tokenizerDonor);
        ArgumentException.ThrowIfNullOrEmpty(path);
        spec.Validate();

        var writer = new GgufWriter();
        SetModelMetadata(writer, spec);
        DonorTokenizer.CopyPadded(tokenizerDonor, spec.Shape.VocabularySize, writer);

        var tensors = Plan(spec);
        // A shape of petabytes would otherwise be written until the disk is full.
        Limits.ResourceLimits.CheckFileFits(path, tensors.Sum(t => t.ByteSize), Limits.ResourceLimits.MaxSyntheticModelBytes);
        var totalBytes = tensors.Sum(t => t.ByteSize);
        var values = new float[tensors.Max(t => t.RowsPerBlock * t.RowLength)];
        var bytes = new byte[tensors.Max(t => t.RowsPerBlock * GgmlTypeInfo.RowSize(t.Type, t.RowLength))];
        long written = 0;
        for (var i = 0; i < tensors.Count; i++)
        {
            var tensor = tensors[i];
            var index = i + 1;
            writer.AddTensor(tensor.Name, tensor.Type, tensor.Dimensions, stream =>
                WriteTensor(tensor, spec.Seed, values, bytes, stream, blockBytes =>
                {
                    written += blockBytes;
                    progress?.Report(new SynthesisProgress(index, tensors.Count, tensor.Name, written, totalBytes));
                }, cancellationToken));
        }
        writer.WriteTo(path, cancellationToken);
        return new SynthesisResult(path, tensors.Count, tensors.Sum(t => GgmlTypeInfo.ElementCount(t.Dimensions)), totalBytes, new FileInfo(path).Length);
    }

    private static void SetModelMetadata(GgufWriter writer, SyntheticModelSpec spec)
    {
        var shape = spec.Shape;
        writer.SetString("general.architecture", "llama");
        writer.SetString("general.name", spec.EffectiveName);
        writer.SetUInt32("general.file_type", spec.FileType);
        if (spec.WeightType is not (GgmlType.F32 or GgmlType.F16))
            writer.SetUInt32("general.quantization_version", 2); // GGML_QNT_VERSION in ggml.h
        writer.SetUInt32("llama.context_length", (uint)shape.ContextLength);
        writer.SetUInt32("llama.embedding_length", (uint)shape.EmbeddingSize);
        writer.SetUInt32("llama.block_count", (uint)shape.LayerCount);
        writer.SetUInt32("llama.feed_forward_length", (uint)shape.FeedForwardSize);
        writer.SetUInt32("llama.attention.head_count", (uint)shape.HeadCount);
        writer.SetUInt32("llama.attention.head_count_kv", (uint)shape.KvHeadCount);
        writer.SetUInt32("llama.rope.dimension_count", (uint)shape.HeadSize);
        writer.SetFloat32("llama.rope.freq_base", RopeFrequencyBase);
        writer.SetFloat32("llama.attention.layer_norm_rms_epsilon", RmsNormEpsilon);
        writer.SetUInt32("llama.vocab_size", (uint)shape.VocabularySize);
    }

    /// <summary>The tensors of the llama architecture (llama.cpp's src/models/llama.cpp), shapes ne[0] first.</summary>
    internal static IReadOnlyList<PlannedTensor> Plan(SyntheticModelSpec spec)
    {
        var shape = spec.Shape;
        var type = spec.WeightType;
        long embd = shape.EmbeddingSize, kv = shape.KvEmbeddingSize, ff = shape.FeedForwardSize, vocab = shape.VocabularySize;
        PlannedTensor Matrix(string name, long rowLength, long rows) => new(name, type, [rowLength, rows], 1 / MathF.Sqrt(rowLength));
        PlannedTensor Norm(string name) => new(name, GgmlType.F32, [embd], null);

        var tensors = new List<PlannedTensor> { Matrix("token_embd.weight", embd, vocab) };
        for (var layer = 0; layer < shape.LayerCount; layer++)
        {
            var block = $"blk.{layer}.";
            tensors.Add(Norm(block + "attn_norm.weight"));
            tensors.Add(Matrix(block + "attn_q.weight", embd, embd));
            tensors.Add(Matrix(block + "attn_k.weight", embd, kv));
            tensors.Add(Matrix(block + "attn_v.weight", embd, kv));
            tensors.Add(Matrix(block + "attn_output.weight", embd, embd));
            tensors.Add(Norm(block + "ffn_norm.weight"));
            tensors.Add(Matrix(block + "ffn_gate.weight", embd, ff));
            tensors.Add(Matrix(block + "ffn_up.weight", embd, ff));
            tensors.Add(Matrix(block + "ffn_down.weight", ff, embd));
        }
        tensors.Add(Norm("output_norm.weight"));
        if (!spec.TiedEmbeddings) tensors.Add(Matrix("output.weight", embd, vocab));
        return tensors;
    }

    private static void WriteTensor(PlannedTensor tensor, ulong modelSeed, float[] values, byte[] bytes, Stream output, Action<long> wrote, CancellationToken ct)
    {
        var rowLength = tensor.RowLength;
        var rowBytes = (int)GgmlTypeInfo.RowSize(tensor.Type, rowLength);
        var seed = SyntheticWeights.TensorSeed(modelSeed, tensor.Name);
        for (long firstRow = 0; firstRow < tensor.Rows; firstRow += tensor.RowsPerBlock)
        {
            ct.ThrowIfCancellationRequested();
            var rows = (int)Math.Min(tensor.RowsPerBlock, tensor.Rows - firstRow);
            if (tensor.StandardDeviation is not { } std)
            {
                values.AsSpan(0, rows * rowLength).Fill(1f);
                Convert(tensor.Type, values.AsSpan(0, rows * rowLength), rowLength, bytes);
            }
            else
            {
                // Each part converts its own rows: the result does not depend on how the block is split.
                var parts = Math.Min(rows, Environment.ProcessorCount * 4);
                var start = firstRow;
                Parallel.For(0, parts, new ParallelOptions { CancellationToken = ct }, part =>
                {
                    var from = (int)((long)rows * part / parts);
                    var to = (int)((long)rows * (part + 1) / parts);
                    for (var row = from; row < to; row++)
                        SyntheticWeights.FillRow(seed, start + row, std, values.AsSpan(row * rowLength, rowLength));
                    Convert(tensor.Type, values.AsSpan(from * rowLength, (to - from) * rowLength), rowLength, bytes.AsSpan(from * rowBytes, (to - from) * rowBytes));
                });
            }
            output.Write(bytes, 0, rows * rowBytes);
            wrote(rows * (long)rowBytes);
        }
    }

    private static void Convert(GgmlType type, ReadOnlySpan<float> values, int rowLength, Span<byte> destination)
    {
        if (type != GgmlType.F32)
        {
            Quantizer.QuantizeRows((int)type, values, rowLength, destination);
            return;
        }
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(destination);
            return;
        }
        for (var i = 0; i < values.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(destination[(i * sizeof(float))..], values[i]);
    }
}
