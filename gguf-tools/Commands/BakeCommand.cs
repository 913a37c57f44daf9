using System.CommandLine;
using System.Globalization;
using LlamaSteer.Gguf;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;
using LlamaSteer.Vectors.Baking;

namespace LlamaSteer.GgufTools.Commands;

/// <summary>
/// <c>gguf-tools bake --model M.gguf --vector v.gguf:0.8 [--vector w.gguf:-0.3@2-4] -o steered.gguf</c>: writes a copy
/// of the model with the vectors baked into its <c>blk.L.ffn_down.bias</c> tensors (see <see cref="VectorBaker"/>).
/// </summary>
internal static class BakeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "The GGUF model to copy.", Required = true };
        var vectors = new Option<string[]>("--vector")
        {
            Description = "A control vector with an optional strength and layers: happy.gguf:0.8 or lily.gguf:-0.5@2-4 (repeatable; summed per layer).",
            Required = true,
        };
        var output = new Option<string>("--output", "-o") { Description = "The model file to write (atomically; never the model itself).", Required = true };
        var force = new Option<bool>("--force")
        {
            Description = "Bake a vector the model already has baked in (it is added again), or one made for another architecture (controlvector.model_hint).",
        };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace a file already at the output path." };

        var command = new Command("bake",
            "Write a copy of a model whose blk.L.ffn_down.bias holds the vectors' scaled directions of layer L, so that it steers " +
            "like the model plus the control vectors in any llama.cpp-based program. " +
            $"Exits with {ExitCodes.InvalidInput} for values that cannot be used, {ExitCodes.InvalidFile} for files that are missing or do not fit, " +
            $"{ExitCodes.Cancelled} when cancelled.");
        foreach (var option in new Option[] { model, vectors, output, force, overwrite }) command.Options.Add(option);
        command.SetAction((parsed, cancellationToken) =>
        {
            var request = new BakeRequest(parsed.GetValue(model)!, parsed.GetValue(vectors)!, parsed.GetValue(output)!,
                new BakeOptions { Force = parsed.GetValue(force), Overwrite = parsed.GetValue(overwrite) });
            var config = parsed.InvocationConfiguration;
            // Off the calling thread, so that Ctrl+C can cancel between tensors and the partial file is removed.
            return Task.Run(() => BakeProblems.Guard(config.Error, request.Output, () => Run(request, config.Output, cancellationToken)), CancellationToken.None);
        });
        return command;
    }

    /// <summary>The command line, as given.</summary>
    internal sealed record BakeRequest(string Model, IReadOnlyList<string> Vectors, string Output, BakeOptions Options);

    private static VectorSpec ParseSpec(string text, int layerCount)
    {
        try
        {
            return VectorSpec.Parse(text, layerCount);
        }
        catch (ArgumentException e) when (!e.Message.StartsWith("--vector", StringComparison.Ordinal))
        {
            // A layer list's own message does not say which --vector it came from.
            throw new BakeException(BakeProblem.InvalidValue, $"--vector {text}: {e.Message}");
        }
    }

    private static int Run(BakeRequest request, TextWriter stdout, CancellationToken cancellationToken)
    {
        var (_, layerCount) = VectorBaker.CheckModel(GgufFile.Read(request.Model));
        var terms = new List<VectorTerm>();
        var output = Path.GetFullPath(request.Output);
        foreach (var text in request.Vectors)
        {
            var spec = ParseSpec(text, layerCount);
            if (Path.GetFullPath(spec.Path) == output)
                throw new BakeException(BakeProblem.InvalidValue, $"the output {request.Output} is the vector {spec.Path}; write the baked model to another file.");
            terms.Add(new VectorTerm(ControlVectorFile.Read(spec.Path), spec.Strength, spec.Layers, Path.GetFileName(spec.Path)));
        }

        var result = VectorBaker.Bake(request.Model, terms, request.Output, request.Options, cancellationToken: cancellationToken);

        foreach (var baked in result.Record.TakeLast(terms.Count))
            stdout.WriteLine($"baked {baked.Name} x{baked.Strength.ToString(CultureInfo.InvariantCulture)} on layers {baked.Layers} (sha256 {baked.Fingerprint[..16]}...)");
        foreach (var layer in result.Layers)
            stdout.WriteLine($"  {VectorBaker.BiasName(layer.Layer)}: {(layer.Created ? "created" : "added to the model's own")}, norm of what was added {layer.AddedNorm.ToString("G4", CultureInfo.InvariantCulture)}");
        stdout.WriteLine($"wrote {request.Output}: {result.TensorCount} tensors ({result.CopiedTensors} copied byte for byte), {result.FileLength:N0} bytes; " +
            $"{result.Record.Count} vector(s) baked in ({BakedRecord.Prefix}*)");
        return ExitCodes.Success;
    }
}
