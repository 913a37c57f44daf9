using System.Globalization;
using System.Numerics.Tensors;
using LlamaSteer.Gguf;
using LlamaSteer.Steering;

namespace LlamaSteer.Vectors.Baking;

/// <summary>
/// Bakes steering vectors into a copy of a model: layer L's <c>blk.L.ffn_down.bias</c> gets the sum of the
/// strength-scaled directions of layer L (created when the model has none, added to when it has one). llama.cpp
/// adds that bias to the feed-forward output right before the residual add that makes <c>l_out-L</c>, where a
/// control vector's <c>direction.L</c> is added, so the copy behaves like the model plus the control vector, in
/// any llama.cpp-based program and at no runtime cost; layer 0, which control-vector files cannot hold, can be
/// baked too. Every other tensor and metadata entry is copied byte for byte (the file is written as GGUF v3);
/// <c>llamasteer.baked.*</c> (<see cref="BakedRecord"/>) records what was baked, so that baking the same vector
/// twice is refused unless forced. Tensors are streamed, so memory stays small whatever the model's size, and
/// the output appears atomically: a refused, failed or cancelled bake leaves no file. Stateless and thread-safe.
/// </summary>
public static class VectorBaker
{
    /// <summary>The name of layer <paramref name="layer"/>'s bias tensor.</summary>
    public static string BiasName(int layer) => $"blk.{layer.ToString(CultureInfo.InvariantCulture)}.ffn_down.bias";

    /// <summary>Checks that <paramref name="model"/> can carry a baked vector, and returns its n_embd and layer count.</summary>
    /// <exception cref="BakeException">Its architecture does not add the bias before l_out (the message lists those that do), or it lacks its sizes.</exception>
    /// <exception cref="GgufFormatException">A size has the wrong type.</exception>
    public static (int EmbeddingSize, int LayerCount) CheckModel(GgufFile model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return BakeChecks.Model(model);
    }

    /// <summary>Writes <paramref name="outputPath"/>: the model at <paramref name="modelPath"/> with <paramref name="terms"/> baked in.</summary>
    /// <param name="terms">Vectors with their strengths and layers (all of a vector's layers when a term has none); <see cref="VectorTerm.Name"/> is recorded.</param>
    /// <exception cref="BakeException">A refusal (the architecture, a vector for another model, a layer that cannot be biased, a vector already baked, the output); nothing was written.</exception>
    /// <exception cref="FileNotFoundException">No model file.</exception>
    /// <exception cref="GgufFormatException">The model is not valid GGUF, or its baked record is damaged.</exception>
    /// <exception cref="IOException">Reading or writing failed; the output was not written.</exception>
    /// <exception cref="UnauthorizedAccessException">A file may not be read or written.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the output was not written.</exception>
    /// <param name="progress">Told after each tensor is written, on the writing thread.</param>
    public static BakeResult Bake(string modelPath, IReadOnlyList<VectorTerm> terms, string outputPath, BakeOptions? options = null,
        IProgress<BakeProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        if (terms.Count == 0) throw new ArgumentException("Nothing to bake: give at least one vector.", nameof(terms));
        options ??= new BakeOptions();

        BakeChecks.Output(modelPath, outputPath, options);
        var model = GgufFile.Read(modelPath);
        var (embeddingSize, layerCount) = BakeChecks.Model(model);
        var earlier = BakedRecord.Read(model);

        var added = new SortedDictionary<int, float[]>();
        var baked = new List<BakedVector>();
        foreach (var term in terms)
        {
            var fingerprint = VectorFingerprint.Of(term.Vector);
            var layers = BakeChecks.Term(term, fingerprint, model, embeddingSize, layerCount, earlier, options);
            foreach (var layer in layers.Layers)
            {
                var sum = added.TryGetValue(layer, out var existing) ? existing : added[layer] = new float[embeddingSize];
                TensorPrimitives.MultiplyAdd(term.Vector.Direction(layer), term.Strength, sum, sum);
            }
            baked.Add(new BakedVector(term.Name ?? "vector", fingerprint, term.Strength, layers.ToString()));
        }

        var biases = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var bakedLayers = new List<BakedLayer>();
        foreach (var (layer, delta) in added)
        {
            var name = BiasName(layer);
            var own = BakeChecks.ExistingBias(model, name, embeddingSize);
            biases[name] = own is null ? delta : Sum(own, delta);
            bakedLayers.Add(new BakedLayer(layer, own is null, TensorPrimitives.Norm(delta)));
        }

        var record = earlier.Concat(baked).ToArray();
        var writer = GgufWriter.From(model);
        BakedRecord.Write(writer, record);
        using var copier = new GgufTensorCopier(model);
        var copied = 0;
        foreach (var tensor in model.Tensors)
        {
            var index = writer.TensorNames.Count + 1;
            if (biases.Remove(tensor.Name, out var bias))
            {
                // Written as f32 whatever the model's own type, so the sum keeps its precision.
                writer.AddTensor(tensor.Name, bias, embeddingSize);
                continue;
            }
            copier.Add(writer, tensor, () => progress?.Report(new BakeProgress(index, tensor.Name)), cancellationToken);
            copied++;
        }
        foreach (var layer in bakedLayers.Where(l => l.Created))
            writer.AddTensor(BiasName(layer.Layer), biases[BiasName(layer.Layer)], embeddingSize);

        cancellationToken.ThrowIfCancellationRequested();
        writer.WriteTo(outputPath);
        return new BakeResult(outputPath, bakedLayers, record, writer.TensorNames.Count, copied, new FileInfo(outputPath).Length);
    }

    private static float[] Sum(float[] own, float[] delta)
    {
        var sum = new float[own.Length];
        TensorPrimitives.Add(own, delta, sum);
        return sum;
    }
}
