using LlamaSteer.Models;
using LlamaSteer.Steering;

namespace LlamaSteer.Capture;

/// <summary>
/// How large the residual stream of a model is: the mean L2 norm of l_out-il over the tokens of a
/// text, per layer. A steering direction is judged against it: one many times larger than the
/// stream it is added to drowns the model's own signal.
/// </summary>
public static class ResidualNorms
{
    /// <summary>A short text about nothing in particular, for measuring a model's ordinary activations.</summary>
    public const string NeutralText =
        "The morning was quiet. People walked along the street to the market, bought bread and vegetables, " +
        "talked for a while with their neighbours, and went back home before noon.";

    /// <summary>
    /// Mean residual-stream norm after each layer 1..n_layer-1 (the layers a control vector can steer),
    /// over every token of <paramref name="text"/> but the first. The first position is left out because
    /// many models park outsized activations there (the attention sink), which would inflate the mean.
    /// Empty for a model of one layer. Creates and disposes its own context.
    /// </summary>
    /// <exception cref="ArgumentException">The text gives fewer than two tokens.</exception>
    public static IReadOnlyDictionary<int, float> Measure(LlamaModel model, string text = NeutralText, int? threads = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.LayerCount < 2) return new Dictionary<int, float>();
        var tokens = model.Tokenize(text);
        if (tokens.Length < 2) throw new ArgumentException("The text for measuring residual norms gives fewer than two tokens.");
        var layers = LayerSet.Range(1, model.LayerCount - 1);
        using var capturer = new ActivationCapturer(model, threads, maxTokensPerDecode: Math.Max(64, tokens.Length), maxSequencesPerDecode: 1);
        var captured = capturer.Capture([new CaptureItem(tokens, CompletionStart: 1)], layers, CapturePositions.AllTokens, cancellationToken: cancellationToken);
        return layers.Layers.ToDictionary(l => l, l =>
            (float)Enumerable.Range(0, captured.RowCount).Average(r => System.Numerics.Tensors.TensorPrimitives.Norm(captured.Row(l, r))));
    }
}
