using System.Globalization;
using LlamaSteer.Steering;

namespace LlamaSteer.Vectors;

/// <summary>Whether <c>FILE:NUMBER</c> may, must or must not carry the number (a strength for --vector, a target for --clamp).</summary>
public enum VectorSpecNumber
{
    /// <summary>The number is optional (a strength, 1 when not given).</summary>
    Optional,
    /// <summary>The number is required (a clamp target).</summary>
    Required,
    /// <summary>No number is allowed (--ablate).</summary>
    None,
}

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
    /// <param name="option">The option named in error messages (<c>--vector</c>, <c>--clamp</c>, <c>--ablate</c>).</param>
    /// <param name="number">Whether the number after ':' may, must or must not be there.</param>
    /// <exception cref="ArgumentException">A strength that is not a finite number, a missing or forbidden number, or layers that are malformed or outside the model.</exception>
    public static VectorSpec Parse(string spec, int layerCount, string option = "--vector", VectorSpecNumber number = VectorSpecNumber.Optional)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var what = number == VectorSpecNumber.Required ? "target" : "strength";
        var text = spec;
        LayerSet? layers = null;
        var at = text.LastIndexOf('@');
        if (at > 0)
        {
            if (at == text.Length - 1) throw new ArgumentException($"{option} {spec}: nothing follows '@'; give layers such as FILE@1-4, or drop the '@'.");
            try
            {
                layers = LayerSet.Parse(text[(at + 1)..], layerCount);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{option} {spec}: {e.Message}", e);
            }
            text = text[..at];
        }
        var strength = 1f;
        var colon = text.LastIndexOf(':');
        var hasNumber = colon > 0 && !File.Exists(text);
        if (hasNumber && number == VectorSpecNumber.None) throw new ArgumentException($"{option} {spec}: {option} takes FILE[@LAYERS], no number.");
        if (!hasNumber && number == VectorSpecNumber.Required) throw new ArgumentException($"{option} {spec}: give the target projection, as in FILE:2.5.");
        if (hasNumber)
        {
            var value = text[(colon + 1)..];
            if (!float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out strength))
                throw new ArgumentException($"{option} {spec}: '{value}' is not a {what} (use FILE:0.8).");
            if (!float.IsFinite(strength)) throw new ArgumentException($"{option} {spec}: the {what} must be a finite number.");
            text = text[..colon];
        }
        return new VectorSpec(text, strength, layers);
    }
}
