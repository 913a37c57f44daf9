using System.CommandLine;
using LlamaSteer.GgufTools.Cvec;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.GgufTools.Commands;

/// <summary>
/// <c>gguf-tools cvec</c>: llama.cpp control vectors (<c>--control-vector</c> files). <c>scale</c>,
/// <c>negate</c>, <c>add</c> and <c>compose</c> write a new vector (see <see cref="VectorComposer"/>);
/// <c>show</c> prints one and <c>check</c> tests them against a model.
/// </summary>
internal static class CvecCommand
{
    public static Command Create()
    {
        var command = new Command("cvec",
            "Show, combine and check llama.cpp control vectors (--control-vector files: direction.N per layer N). " +
            "Exits with 1 for a wrong command line and 2 for an input that is missing, invalid or does not fit.");
        command.Subcommands.Add(CvecShowCommand.Create());
        command.Subcommands.Add(Scale());
        command.Subcommands.Add(Negate());
        command.Subcommands.Add(Add());
        command.Subcommands.Add(Compose());
        command.Subcommands.Add(CvecCheckCommand.Create());
        return command;
    }

    private static Command Scale()
    {
        var input = new Argument<string>("in") { Description = "The control vector to scale." };
        var factor = new Option<string>("--factor", "-f") { Description = "The factor, such as 0.5 or -2 ('.' for decimals).", Required = true };
        var output = new OutputOptions();
        var command = new Command("scale", "Multiply every direction of a control vector by a factor.");
        command.Arguments.Add(input);
        command.Options.Add(factor);
        output.AddTo(command);
        command.SetAction(parsed => Run(parsed, () =>
        {
            var path = parsed.GetValue(input)!;
            var f = VectorInput.ParseNumber(parsed.GetValue(factor)!, "--factor");
            if (f == 0) throw new UsageException("--factor 0 gives a zero vector, which steers nothing.");
            var target = output.Resolve(parsed, [path]);
            return OutputOptions.Write(VectorComposer.Scale(ControlVectorFile.Read(path), f, path), target, parsed.InvocationConfiguration.Output);
        }));
        return command;
    }

    private static Command Negate()
    {
        var input = new Argument<string>("in") { Description = "The control vector to negate." };
        var output = new OutputOptions();
        var command = new Command("negate", "Point every direction of a control vector the other way (multiply by -1).");
        command.Arguments.Add(input);
        output.AddTo(command);
        command.SetAction(parsed => Run(parsed, () =>
        {
            var path = parsed.GetValue(input)!;
            var target = output.Resolve(parsed, [path]);
            return OutputOptions.Write(VectorComposer.Negate(ControlVectorFile.Read(path), path), target, parsed.InvocationConfiguration.Output);
        }));
        return command;
    }

    private static Command Add()
    {
        var a = new Argument<string>("a") { Description = "The first control vector." };
        var b = new Argument<string>("b") { Description = "The second control vector (same n_embd)." };
        var output = new OutputOptions();
        var command = new Command("add", "Add two control vectors per layer; a layer only one of them has is taken from it.");
        command.Arguments.Add(a);
        command.Arguments.Add(b);
        output.AddTo(command);
        command.SetAction(parsed => Run(parsed, () =>
        {
            var (pathA, pathB) = (parsed.GetValue(a)!, parsed.GetValue(b)!);
            var target = output.Resolve(parsed, [pathA, pathB]);
            var sum = VectorComposer.Add(ControlVectorFile.Read(pathA), ControlVectorFile.Read(pathB), pathA, pathB);
            return Finish(parsed, sum, target);
        }));
        return command;
    }

    private static Command Compose()
    {
        var inputs = new Argument<string[]>("inputs")
        {
            Description = "Control vectors as FILE:WEIGHT (FILE alone has weight 1), such as happy.gguf:0.8 sad.gguf:-0.5.",
            Arity = ArgumentArity.OneOrMore,
        };
        var layers = new Option<string?>("--layers") { Description = "Keep only these layers: 1-4, 2,5,7 or 1-3,6 (default: every layer of any input)." };
        var output = new OutputOptions();
        var command = new Command("compose", "Write the weighted sum of control vectors per layer (a layer missing from a vector counts as zero).");
        command.Arguments.Add(inputs);
        command.Options.Add(layers);
        output.AddTo(command);
        command.SetAction(parsed => Run(parsed, () =>
        {
            var terms = parsed.GetValue(inputs)!.Select(VectorInput.Parse).ToArray();
            var layerSet = ParseLayers(parsed.GetValue(layers));
            var target = output.Resolve(parsed, terms.Select(t => t.Path));
            var vectors = terms.Select(t => (ControlVectorFile.Read(t.Path), t.Weight)).ToArray();
            return Finish(parsed, VectorComposer.Compose(vectors, layerSet, terms.Select(t => t.Path).ToArray()), target);
        }));
        return command;
    }

    // The bound only keeps a mistyped range from allocating billions of layers; no model has this many.
    private const int MaxLayers = 65536;

    private static LayerSet? ParseLayers(string? text)
    {
        if (text is null || text.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            return LayerSet.Parse(text, MaxLayers);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--layers: {e.Message}");
        }
    }

    private static int Finish(ParseResult parsed, VectorComposition composition, string target)
    {
        foreach (var warning in composition.Warnings) CvecProblems.Warn(parsed.InvocationConfiguration.Error, warning);
        return OutputOptions.Write(composition.Vector, target, parsed.InvocationConfiguration.Output);
    }

    private static int Run(ParseResult parsed, Func<int> run) => CvecProblems.Guard(parsed.InvocationConfiguration.Error, run);
}
