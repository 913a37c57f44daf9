using LLama;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.LLamaSharp;

/// <summary>
/// Control vectors summed with their strengths and layers into the one buffer llama.cpp adds to the residual stream
/// (<c>llama_set_adapter_cvec</c>), as <c>llamasteer generate --vector</c> and llama.cpp's <c>--control-vector-scaled</c>
/// do: context-wide, on every token. Built and checked once for a model's n_embd and layer count; immutable and
/// thread-safe. Apply it with <see cref="SteeringExtensions"/>.
/// </summary>
public sealed class ControlVectors
{
    private ControlVectors(IReadOnlyList<VectorTerm> terms, ControlVectorAdapter.Buffer buffer, int embeddingSize, int layerCount)
    {
        Terms = terms;
        Buffer = buffer;
        EmbeddingSize = embeddingSize;
        LayerCount = layerCount;
    }

    /// <summary>The vectors, strengths and layers summed.</summary>
    public IReadOnlyList<VectorTerm> Terms { get; }

    /// <summary>The model's n_embd the buffer was built for.</summary>
    public int EmbeddingSize { get; }

    /// <summary>The model's layer count the layers were checked against.</summary>
    public int LayerCount { get; }

    /// <summary>The first and last layer steered (-1 when nothing is).</summary>
    public int FirstLayer => Buffer.FirstLayer;

    /// <inheritdoc cref="FirstLayer"/>
    public int LastLayer => Buffer.LastLayer;

    internal ControlVectorAdapter.Buffer Buffer { get; }

    /// <summary>
    /// Reads control-vector files named as on llamasteer's command line, <c>FILE[:STRENGTH][@LAYERS]</c>
    /// (<c>happy.gguf</c>, <c>happy.gguf:0.8</c>, <c>lily.gguf:-0.5@1-3</c>): LlamaSteer's files or any llama.cpp
    /// control vector (<c>direction.N</c> tensors), with the same checks and messages as <c>llamasteer generate --vector</c>.
    /// </summary>
    /// <param name="layers">Layers every spec steers unless it names its own (llamasteer's <c>--layers</c>), e.g. "1-4".</param>
    /// <exception cref="ArgumentException">A malformed spec, a strength that is not finite, layers outside the model or layer 0 (which llama.cpp's control vector cannot reach), or a vector of another n_embd.</exception>
    /// <exception cref="ControlVectorFormatException">A file that is not a usable control vector.</exception>
    /// <exception cref="IOException">A file that cannot be read.</exception>
    public static ControlVectors Load(LLamaWeights model, IEnumerable<string> specs, string? layers = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(specs);
        var layerCount = model.NativeHandle.LayerCount;
        var shared = layers is null ? null : LayerSet.Parse(layers, layerCount);
        var terms = new List<VectorTerm>();
        foreach (var spec in specs)
        {
            var parsed = VectorSpec.Parse(spec, layerCount);
            var vector = ControlVectorFile.Read(parsed.Path, model.EmbeddingSize);
            terms.Add(new VectorTerm(vector, parsed.Strength, parsed.Layers ?? shared, Path.GetFileName(parsed.Path)));
        }
        return From(terms, model.EmbeddingSize, layerCount);
    }

    /// <inheritdoc cref="Load(LLamaWeights, IEnumerable{string}, string?)"/>
    public static ControlVectors Load(LLamaWeights model, params string[] specs) => Load(model, (IEnumerable<string>)specs);

    /// <summary>Vectors already in memory (read with <see cref="ControlVectorFile"/>, made by <see cref="VectorComposer"/>, ...).</summary>
    /// <exception cref="ArgumentException">A term invalid for the model, or one that steers layer 0.</exception>
    public static ControlVectors From(IReadOnlyList<VectorTerm> terms, int embeddingSize, int layerCount)
    {
        ArgumentNullException.ThrowIfNull(terms);
        return new ControlVectors(terms.ToArray(), ControlVectorAdapter.Build(terms, embeddingSize, layerCount), embeddingSize, layerCount);
    }

    /// <summary>Vectors already in memory, checked against <paramref name="model"/>.</summary>
    /// <inheritdoc cref="From(IReadOnlyList{VectorTerm}, int, int)"/>
    public static ControlVectors From(LLamaWeights model, IReadOnlyList<VectorTerm> terms)
    {
        ArgumentNullException.ThrowIfNull(model);
        return From(terms, model.EmbeddingSize, model.NativeHandle.LayerCount);
    }
}
