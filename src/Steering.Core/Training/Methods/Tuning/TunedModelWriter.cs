using System.Globalization;
using LlamaSteer.Gguf;
using LlamaSteer.Native.SafeHandles;

namespace LlamaSteer.Training.Methods.Tuning;

/// <summary>
/// Writes a copy of a model with tuned matrices: each tuned tensor converted to its written type (F32, F16, or
/// re-quantized to the model's own type by ggml's quantizer), every other tensor and metadata entry byte for byte
/// (<see cref="GgufTensorCopier"/>, shared with baking), and <c>llamasteer.tuned.*</c> saying what was tuned. The
/// file appears atomically: a failed or cancelled write leaves none. Stateless.
/// </summary>
public static class TunedModelWriter
{
    /// <summary>The metadata prefix of the record of a tuning run.</summary>
    public const string RecordPrefix = "llamasteer.tuned.";

    /// <param name="tuned">GGUF tensor name → tuned F32 values in ggml order.</param>
    /// <param name="record">Entries written under <see cref="RecordPrefix"/>.</param>
    /// <returns>The type each tuned tensor was written in.</returns>
    public static IReadOnlyDictionary<string, GgmlType> Write(GgufFile model, IReadOnlyDictionary<string, float[]> tuned, TunedTensorType type,
        IReadOnlyDictionary<string, string> record, string outputPath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tuned);
        var writer = GgufWriter.From(model);
        foreach (var (key, value) in record) writer.SetString(RecordPrefix + key, value);
        var written = new Dictionary<string, GgmlType>(StringComparer.Ordinal);
        using var copier = new GgufTensorCopier(model);
        foreach (var tensor in model.Tensors)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!tuned.TryGetValue(tensor.Name, out var values))
            {
                copier.Add(writer, tensor, cancellationToken: cancellationToken);
                continue;
            }
            var dims = tensor.Dimensions.ToArray();
            var target = TuningChecks.WrittenType(tensor.Type, type);
            if (target == GgmlType.F32) writer.AddTensor(tensor.Name, values, dims);
            else writer.AddTensor(tensor.Name, target, dims, Quantizer.QuantizeRows((int)target, values, dims[0]));
            written[tensor.Name] = target;
        }
        if (written.Count != tuned.Count)
            throw new ArgumentException($"{model.FilePath} has no tensor {string.Join(", ", tuned.Keys.Except(written.Keys))}.");
        cancellationToken.ThrowIfCancellationRequested();
        writer.WriteTo(outputPath);
        return written;
    }

    /// <summary>Formats a number for the record the way it reads back (invariant culture, round-trip).</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
