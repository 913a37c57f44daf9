using System.CommandLine;
using System.Globalization;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.Host.Cli;

/// <summary>
/// <c>--vector FILE[:STRENGTH][@LAYERS]</c> (repeatable) and <c>--layers</c>: control-vector files
/// summed with their strengths, as llama.cpp's --control-vector-scaled does.
/// </summary>
internal sealed class VectorOptions
{
    public Option<string[]> Vectors { get; } = new("--vector")
    {
        Description = "Control-vector file with an optional strength and layers: happy.gguf:0.8 or lily.gguf:-0.5@1-3 (repeatable)",
    };

    public Option<string?> Layers { get; } = new("--layers")
    {
        Description = "Layers every --vector steers unless it names its own (e.g. 1-4; default: all layers in the file)",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Vectors);
        command.Options.Add(Layers);
    }

    /// <summary>Reads and checks every vector against the model before anything is decoded.</summary>
    /// <exception cref="ArgumentException">Bad syntax, a NaN strength, or layers outside the model.</exception>
    /// <exception cref="ControlVectorFormatException">A bad or foreign vector file.</exception>
    public IReadOnlyList<VectorTerm> Load(ParseResult parse, LlamaModel model)
    {
        var specs = parse.GetValue(Vectors) ?? [];
        var shared = parse.GetValue(Layers) is { } l ? LayerSet.Parse(l, model.LayerCount) : null;
        var terms = specs.Select(s => Parse(s, model, shared)).ToList();
        ControlVectorAdapter.Build(terms, model.EmbeddingSize, model.LayerCount); // validates the combination
        return terms;
    }

    internal static VectorTerm Parse(string spec, LlamaModel model, LayerSet? sharedLayers)
    {
        var text = spec;
        LayerSet? layers = sharedLayers;
        var at = text.LastIndexOf('@');
        if (at > 0)
        {
            layers = LayerSet.Parse(text[(at + 1)..], model.LayerCount);
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
        var vector = ControlVectorFile.Read(text, model.EmbeddingSize);
        return new VectorTerm(vector, strength, layers, Path.GetFileName(text));
    }
}
