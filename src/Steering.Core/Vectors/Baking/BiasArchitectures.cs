using System.Globalization;
using LlamaSteer.Gguf;

namespace LlamaSteer.Vectors.Baking;

/// <summary>
/// The architectures whose llama.cpp graph adds <c>blk.L.ffn_down.bias</c> to the feed-forward output right
/// before the residual add that makes <c>l_out-L</c>, the place a control vector's <c>direction.L</c> is added,
/// so that a bias there steers exactly as the control vector does. Read from llama.cpp release v0.5.0
/// (<c>src/models/*.cpp</c>): each loader creates the tensor for every layer (optional or required) and each
/// graph goes <c>build_ffn(.., ffn_down_b, ..)</c>, <c>ggml_add(cur, ffn_inp)</c>, <c>build_cvec</c> with nothing between.
/// Left out although they load the tensor: deci (FFN-free layers skip it), granite, granitemoe, granite_swa,
/// granitehybrid and minicpm (the feed-forward output is scaled by the residual scale after the bias),
/// nemotron_h (hybrid layers), the BERT family (encoders, normalised after the residual add), llada (diffusion).
/// An architecture that does not create the tensor refuses to load a file that has it ("wrong number of tensors").
/// </summary>
public static class BiasArchitectures
{
    /// <summary>The architectures that can carry a baked vector, sorted.</summary>
    public static IReadOnlyList<string> Supported { get; } =
    [
        "bloom", "codeshell", "falcon-h1", "gpt2", "jais", "jais2", "llama", "mistral3", "mpt", "nemotron", "phi2", "refact",
        "starcoder", "starcoder2",
    ];

    // These create the bias only for dense layers: with experts there is no ffn_down bias to load.
    private static readonly HashSet<string> DenseOnly = new(StringComparer.Ordinal) { "llama", "mistral3", "refact" };

    /// <summary>Why <paramref name="model"/> cannot carry a baked vector, or null when it can.</summary>
    public static string? Problem(GgufFile model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var arch = model.Architecture;
        var list = string.Join(", ", Supported);
        if (arch is null) return $"{model.FilePath} has no general.architecture; baking needs a model of one of: {list}";
        if (!Supported.Contains(arch))
            return $"llama.cpp's '{arch}' architecture does not add blk.N.ffn_down.bias right before l_out-N, so a baked vector would not steer as the control vector does (or the file would not load); baking works for: {list}";
        if (DenseOnly.Contains(arch) && model.GetInt64($"{arch}.expert_count") is > 0)
            return $"{model.FilePath} is a mixture-of-experts '{arch}' model; llama.cpp loads blk.N.ffn_down.bias only for dense '{arch}' models";
        return null;
    }

    /// <summary>Why layer <paramref name="layer"/> of a supported model cannot take the bias, or null when it can.</summary>
    public static string? LayerProblem(GgufFile model, int layer)
    {
        ArgumentNullException.ThrowIfNull(model);
        var prefix = $"blk.{layer.ToString(CultureInfo.InvariantCulture)}.";
        if (model.FindTensor(prefix + "ffn_down.weight") is null)
            return $"layer {layer} has no {prefix}ffn_down.weight (no feed-forward block), so it cannot be biased";
        // llama.cpp multiplies the feed-forward output by this scale after adding the bias.
        if (model.FindTensor(prefix + "ffn_down.scale") is not null)
            return $"layer {layer} has {prefix}ffn_down.scale, which llama.cpp applies after the bias, so a bias there would be scaled";
        return null;
    }
}
