using System.Globalization;
using LlamaSteer.Steering;

namespace LlamaSteer.Vectors;

/// <summary>
/// A control-vector file named on a command line as <c>FILE[:STRENGTH][@LAYERS]</c>: <c>happy.gguf</c>
/// (strength 1, the file's layers), <c>happy.gguf:0.8</c>, <c>lily.gguf:-0.5@1-3</c>. Only the text is parsed;
/// the file is not read. Immutable.
/// </summary>
/// <param name="Path">The file, as written.</param>
/// <param name="Strength">A finite number, 1 when not given.</param>
/// <param name="Layers">The layers after '@', or null when none were given.</param>
public sealed record VectorSpec(string Path, float Strength, LayerSet? Layers)
{
    /// <summary>
    /// Splits off <c>@LAYERS</c> at the last '@' and then <c>:STRENGTH</c> at the last ':', unless the text
    /// before the '@' names an existing file (a path with a ':' in it).
    /// </summary>
    /// <param name="layerCount">The model's layer count, which the layers must lie within.</param>
    /// <exception cref="ArgumentException">A strength that is not a finite number, or layers that are malformed or outside the model.</exception>
    public static VectorSpec Parse(string spec, int layerCount)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var text = spec;
        LayerSet? layers = null;
        var at = text.LastIndexOf('@');
        if (at > 0)
        {
            layers = LayerSet.Parse(text[(at + 1)..], layerCount);
            text = text[..at];
        }
        var strength = 1f;
        var colon = text.LastIndexOf(':');
        if (colon > 0 && !File.Exists(text))
        {
            var number = text[(colon + 1)..];
            if (!float.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out strength))
                throw new ArgumentException($"--vector {spec}: '{number}' is not a strength (use FILE:0.8).");
            if (!float.IsFinite(strength)) throw new ArgumentException($"--vector {spec}: the strength must be a finite number.");
            text = text[..colon];
        }
        return new VectorSpec(text, strength, layers);
    }
}
