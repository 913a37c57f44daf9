using System.CommandLine;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Steering.Contextual;
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

    public Option<string[]> Ablate { get; } = new("--ablate")
    {
        Description = "Remove the component along a vector's direction: FILE[@LAYERS] (repeatable)",
    };

    public Option<string[]> Clamp { get; } = new("--clamp")
    {
        Description = "Set the projection on a vector's unit direction to a value: FILE:TARGET[@LAYERS] (repeatable)",
    };

    public Option<string[]> AdjustToTarget { get; } = new("--adjust-to-target")
    {
        Description = "Instruction steering (Stolfo et al.): set each token's projection on a vector's direction to the positives' mean projection stored in the file: FILE[@LAYERS] (repeatable)",
    };

    public Option<string> Window { get; } = new("--window")
    {
        Description = "Tokens the vectors steer: all, prompt, generated, or positions:0-4,10-12",
        DefaultValueFactory = _ => "all",
    };

    public Option<bool> Clas { get; } = new("--clas")
    {
        Description = "Scale each --vector's strength per token by its CLAS parameters (NAME.clas.gguf beside it; fit them with llamasteer clas)",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Clas);
        command.Options.Add(Vectors);
        command.Options.Add(Layers);
        command.Options.Add(Ablate);
        command.Options.Add(Clamp);
        command.Options.Add(AdjustToTarget);
        command.Options.Add(Window);
    }

    /// <summary>
    /// All steering options as one plan. Plain --vector adds on every token stay static adds (llama.cpp's
    /// control vector); a window, --ablate or --clamp make the plan run in the evaluation callback.
    /// </summary>
    public SteeringPlan LoadPlan(ParseResult parse, LlamaModel model, int contextSize)
    {
        var window = TokenWindow.Parse(parse.GetValue(Window)!);
        var shared = parse.GetValue(Layers) is { } l ? LayerSet.Parse(l, model.LayerCount) : null;
        var terms = new List<SteeringTerm>();
        foreach (var spec in parse.GetValue(Vectors) ?? [])
        {
            var (t, path) = ParseWithPath(spec, model, shared, "--vector", VectorSpecNumber.Optional);
            terms.Add(parse.GetValue(Clas)
                ? ClasParameters.Load(ClasParameters.PathBeside(path), t.Vector, t.Layers).Term(t.Vector, t.Strength, t.Layers, window, t.Name)
                : new SteeringTerm(t.Vector, t.Strength, t.Layers, SteeringOperator.Add, window) { Name = t.Name });
        }
        foreach (var spec in parse.GetValue(Ablate) ?? [])
        {
            var t = ParseWithPath(spec, model, shared, "--ablate", VectorSpecNumber.None).Term;
            terms.Add(new SteeringTerm(t.Vector, 0f, t.Layers, SteeringOperator.Ablate, window) { Name = t.Name });
        }
        foreach (var spec in parse.GetValue(Clamp) ?? [])
        {
            var t = ParseWithPath(spec, model, shared, "--clamp", VectorSpecNumber.Required).Term;
            terms.Add(new SteeringTerm(t.Vector, t.Strength, t.Layers, SteeringOperator.Clamp, window) { Name = t.Name });
        }
        foreach (var spec in parse.GetValue(AdjustToTarget) ?? [])
        {
            var t = Parse(spec, model, shared);
            if (t.Strength != 1)
                throw new ArgumentException($"--adjust-to-target {spec}: takes FILE[@LAYERS] without a strength; the target is the mean projection stored in the file.");
            terms.AddRange(SteeringTerms.AdjustToTarget(t.Vector, t.Layers, window, t.Name));
        }
        return new SteeringPlan(terms).Validate(model.EmbeddingSize, model.LayerCount, contextSize);
    }

    internal static VectorTerm Parse(string spec, LlamaModel model, LayerSet? sharedLayers) => ParseWithPath(spec, model, sharedLayers, "--vector", VectorSpecNumber.Optional).Term;

    private static (VectorTerm Term, string Path) ParseWithPath(string spec, LlamaModel model, LayerSet? sharedLayers, string option, VectorSpecNumber number)
    {
        var parsed = VectorSpec.Parse(spec, model.LayerCount, option, number);
        var vector = ControlVectorFile.Read(parsed.Path, model.EmbeddingSize);
        return (new VectorTerm(vector, parsed.Strength, parsed.Layers ?? sharedLayers, Path.GetFileName(parsed.Path)), parsed.Path);
    }
}
