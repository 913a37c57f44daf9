using LlamaSteer.Cli.Outputs;
using System.CommandLine;
using System.Diagnostics;
using LlamaSteer.Errors;
using LlamaSteer.Gguf;
using LlamaSteer.Native.Runtime;
using LlamaSteer.Synthesis;

namespace LlamaSteer.GgufTools.Commands;

/// <summary>
/// <c>gguf-tools synth (--preset NAME | --n-embd .. --vocab ..) [--type q8_0] [--seed 1] [--vocab-from DONOR] -o OUT</c>:
/// writes a llama-architecture model of a chosen shape with seeded random weights, for measuring speed on realistic shapes.
/// </summary>
internal static class SynthCommand
{
    public static Command Create()
    {
        var preset = new Option<string?>("--preset") { Description = $"A shape to copy: {string.Join(", ", ModelShape.Presets.Keys)}. Explicit dimensions override its values." };
        var embedding = new Option<int?>("--n-embd") { Description = "Width of the residual stream (n_embd)." };
        var layers = new Option<int?>("--layers") { Description = "Number of transformer blocks." };
        var heads = new Option<int?>("--heads") { Description = "Attention heads; must divide --n-embd." };
        var kvHeads = new Option<int?>("--kv-heads") { Description = "Key/value heads; must divide --heads (default: --heads)." };
        var feedForward = new Option<int?>("--n-ff") { Description = "Width of the feed-forward layer (n_ff)." };
        var vocabulary = new Option<int?>("--vocab") { Description = "Vocabulary size; at least the donor's, which is padded with unused placeholder tokens." };
        var context = new Option<int?>("--context") { Description = $"Trained context length written to the metadata (default {ModelShape.DefaultContextLength})." };
        var type = new Option<string>("--type")
        {
            Description = $"Type of the 2-D weights: {string.Join(", ", SyntheticModelSpec.WeightTypes.Select(GgmlTypeInfo.Name))}; norms are always f32.",
            DefaultValueFactory = _ => SynthRequest.DefaultType,
        };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the weights: the same seed gives the same file.", DefaultValueFactory = _ => 1 };
        var tied = new Option<bool>("--tied-embeddings") { Description = "Write no output.weight; llama.cpp then reuses the token embedding, as the preset models do." };
        var donor = new Option<FileInfo?>("--vocab-from")
        {
            Description = "A GGUF model whose tokenizer to copy (default: the repository's models/stories260K.gguf).",
        };
        var output = new Option<FileInfo>("--output", "-o") { Description = "The GGUF file to write (replaced atomically).", Required = true };

        var command = new Command("synth",
            "Write a llama-architecture GGUF model of a chosen shape with seeded random weights, to measure speed on realistic shapes. " +
            $"Exits with 2 if the shape, type, donor or output folder is unusable, or the model would be larger than {LlamaSteer.Limits.ResourceLimits.MaxSyntheticModelBytes >> 30} GiB or than 80% of the free disk space; with 1 if the output is the donor.");
        foreach (var option in new Option[] { preset, embedding, layers, heads, kvHeads, feedForward, vocabulary, context, type, seed, tied, donor, output })
            command.Options.Add(option);
        command.SetAction((parsed, cancellationToken) =>
        {
            var request = new SynthRequest
            {
                Preset = parsed.GetValue(preset),
                EmbeddingSize = parsed.GetValue(embedding),
                Layers = parsed.GetValue(layers),
                Heads = parsed.GetValue(heads),
                KvHeads = parsed.GetValue(kvHeads),
                FeedForwardSize = parsed.GetValue(feedForward),
                Vocabulary = parsed.GetValue(vocabulary),
                Context = parsed.GetValue(context),
                Type = parsed.GetValue(type)!,
                Seed = parsed.GetValue(seed),
                TiedEmbeddings = parsed.GetValue(tied),
            };
            var config = parsed.InvocationConfiguration;
            // Off the calling thread, so that Ctrl+C can cancel between blocks and the partial file is removed.
            return Task.Run(() => Run(request, parsed.GetValue(donor), parsed.GetValue(output)!, config.Output, config.Error, cancellationToken), CancellationToken.None);
        });
        return command;
    }

    /// <summary>Runs the command; the writers are parameters so that tests can run it in-process.</summary>
    public static int Run(SynthRequest request, FileInfo? donor, FileInfo output, TextWriter stdout, TextWriter error, CancellationToken cancellationToken = default)
    {
        if (!request.TryResolve(out var spec, out var problem)) return Report(error, problem);
        var donorPath = donor?.ToString() ?? RepositoryFiles.DefaultModel();
        if (donorPath is null)
            return Report(error, $"no tokenizer donor: give --vocab-from DONOR.gguf (the default {Path.Combine(RepositoryFiles.DefaultModelInRepository)} of the repository was not found)");

        GgufFile? donorFile = null;
        var donorStatus = FileProblems.Guard(donorPath, error, () =>
        {
            donorFile = GgufFile.Read(donorPath);
            return ExitCodes.Success;
        });
        if (donorStatus != ExitCodes.Success) return donorStatus;

        var outputPath = output.ToString();
        var folder = Path.GetDirectoryName(Path.GetFullPath(outputPath))!;
        if (!Directory.Exists(folder)) return Report(error, $"{outputPath}: the folder {folder} does not exist");
        if (Directory.Exists(outputPath)) return Report(error, $"{outputPath}: is a folder, not a file");
        try
        {
            OutputGuard.Check(outputPath, "--output", [new("--vocab-from", donorPath)]);
        }
        catch (ArgumentException e)
        {
            return Report(error, e.Message, ExitCodes.Usage);
        }

        var watch = Stopwatch.StartNew();
        try
        {
            var result = SyntheticModelWriter.Write(spec, donorFile!, outputPath, new ProgressLines(error), cancellationToken);
            stdout.WriteLine(
                $"wrote {outputPath} ({spec.Shape}, {GgmlTypeInfo.Name(spec.WeightType)} weights, seed {spec.Seed}): " +
                $"{result.TensorCount} tensors, {result.ParameterCount:N0} parameters, {result.FileLength:N0} bytes in {watch.Elapsed.TotalSeconds:F1} s");
            return ExitCodes.Success;
        }
        catch (Exception e) when (e is ModelSynthesisException or ArgumentException)
        {
            return Report(error, e.Message);
        }
        catch (NativeRuntimeException e)
        {
            return Report(error, e.Message, ExitCodes.RuntimeUnavailable);
        }
        catch (OperationCanceledException)
        {
            return Report(error, $"cancelled; {outputPath} was not written", ExitCodes.Cancelled);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Report(error, $"{outputPath}: {e.Message}");
        }
    }

    private static int Report(TextWriter error, string problem, int exitCode = ExitCodes.InvalidInput)
    {
        error.WriteLine($"gguf-tools: {problem.ReplaceLineEndings(" ")}");
        return exitCode;
    }

    /// <summary>One line on stderr each time another twentieth of the tensor data is written, and at the end.</summary>
    private sealed class ProgressLines(TextWriter error) : IProgress<SynthesisProgress>
    {
        private const int Steps = 20;
        private long _lastStep = -1;

        public void Report(SynthesisProgress value)
        {
            var step = value.BytesWritten * Steps / Math.Max(1, value.TotalBytes);
            if (step == _lastStep) return;
            _lastStep = step;
            error.WriteLine($"synth: tensor {value.Tensor}/{value.TensorCount} ({value.TensorName}), {value.BytesWritten / 1e6:F1} of {value.TotalBytes / 1e6:F1} MB");
        }
    }
}
