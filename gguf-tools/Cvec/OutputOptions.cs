using System.CommandLine;
using System.Globalization;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.GgufTools.Cvec;

/// <summary><c>-o/--output OUT</c> and <c>--force</c> of the commands that write a control vector.</summary>
internal sealed class OutputOptions
{
    public Option<string> Output { get; } = new("--output", "-o")
    {
        Description = "The control-vector file to write (atomically: a failed write leaves no partial file).",
        Required = true,
    };

    public Option<bool> Force { get; } = new("--force")
    {
        Description = "Allow the output to replace one of the input files.",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Output);
        command.Options.Add(Force);
    }

    /// <summary>The output path, checked against the inputs before anything is read.</summary>
    /// <exception cref="UsageException">The output is one of the inputs and --force was not given.</exception>
    public string Resolve(ParseResult parsed, IEnumerable<string> inputs)
    {
        var output = parsed.GetValue(Output)!;
        if (!parsed.GetValue(Force))
        {
            var full = Path.GetFullPath(output);
            if (inputs.FirstOrDefault(i => Path.GetFullPath(i) == full) is { } input)
                throw new UsageException($"the output {output} is the input {input}; write elsewhere, or pass --force to replace it.");
        }
        return output;
    }

    /// <summary>Writes the vector with its creation time, and says so on the output writer.</summary>
    public static int Write(SteeringVector vector, string path, TextWriter output)
    {
        var stamped = new SteeringVector(
            vector.EmbeddingSize,
            vector.Layers.ToDictionary(l => l, l => vector.Direction(l).ToArray()),
            vector.ModelHint,
            vector.Provenance with { CreatedUtc = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) });
        ControlVectorFile.Write(stamped, path);
        output.WriteLine($"wrote {path}: n_embd {vector.EmbeddingSize}, layers {LayerSet.Of(vector.Layers)}");
        return Commands.ExitCodes.Success;
    }
}
