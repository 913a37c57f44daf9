using System.CommandLine;
using System.Globalization;
using LlamaSteer.Capture;
using LlamaSteer.GgufTools.Cvec;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.GgufTools.Commands;

/// <summary>
/// <c>gguf-tools cvec check --model MODEL FILE...</c>: whether each control vector fits the model (see
/// <see cref="VectorFit"/>), one line per file and per layer; exit code 0 if all fit, 2 if any does not.
/// </summary>
internal static class CvecCheckCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = "The control vectors to check.", Arity = ArgumentArity.OneOrMore };
        var model = new Option<string>("--model", "-m") { Description = "The GGUF model the vectors are meant for.", Required = true };
        var threads = new Option<int>("--threads", "-t") { Description = "CPU threads for the run that measures the residual stream.", DefaultValueFactory = _ => 1 };
        threads.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1) r.AddError("--threads must be at least 1.");
        });
        var command = new Command("check",
            "Check control vectors against a model: n_embd equal to the model's, every layer in 1..n_layer-1, " +
            $"and each direction's norm at most {VectorFit.MaxPlausibleRatio:G} times the model's mean residual-stream norm at that layer " +
            "(measured on a short neutral text). A model hint other than the model's architecture is a warning. " +
            "Exits with 0 if every file fits, 2 if any does not.");
        command.Arguments.Add(files);
        command.Options.Add(model);
        command.Options.Add(threads);
        command.SetAction(parsed => CvecProblems.Guard(parsed.InvocationConfiguration.Error, () =>
            Run(parsed.GetValue(model)!, parsed.GetValue(files)!, parsed.GetValue(threads), parsed.InvocationConfiguration.Output)));
        return command;
    }

    private static int Run(string modelPath, IReadOnlyList<string> files, int threads, TextWriter output)
    {
        using var model = LlamaModel.Load(modelPath);
        var info = model.Info;
        var residual = ResidualNorms.Measure(model, threads: threads);
        var steerable = info.LayerCount > 1 ? $"steerable layers 1-{info.LayerCount - 1}" : "no steerable layer";
        output.WriteLine($"model {modelPath}: {info.Architecture}, n_embd {info.EmbeddingSize}, {info.LayerCount} layers ({steerable})");

        var allFit = true;
        foreach (var file in files)
        {
            SteeringVector vector;
            try
            {
                vector = ControlVectorFile.Read(file);
            }
            catch (ControlVectorFormatException e)
            {
                output.WriteLine($"{file}: does not fit: {e.Problem}");
                allFit = false;
                continue;
            }
            var report = VectorFit.Check(vector, info.EmbeddingSize, info.LayerCount, info.Architecture, residual);
            allFit &= report.Fits;
            output.WriteLine($"{file}: {Verdict(vector, report)}");
            foreach (var warning in report.Warnings)
                output.WriteLine($"{file}: warning: {warning}");
            foreach (var layer in report.Layers)
                output.WriteLine($"{file} layer {layer.Layer}: {Describe(layer)}");
        }
        return allFit ? ExitCodes.Success : ExitCodes.InvalidFile;
    }

    private static string Verdict(SteeringVector vector, VectorFitReport report)
    {
        if (report.Fits) return $"fits (n_embd {vector.EmbeddingSize}, layers {LayerSet.Of(vector.Layers)})";
        if (report.Problems.Count > 0) return $"does not fit: {string.Join("; ", report.Problems)}";
        return $"does not fit (layers {string.Join(",", report.Layers.Where(l => !l.Fits).Select(l => l.Layer))})";
    }

    private static string Describe(LayerFit layer)
    {
        var measured = layer.Ratio is { } ratio
            ? $"norm {Number(layer.Norm)}, residual norm {Number(layer.ResidualNorm!.Value)}, ratio {Number(ratio)}"
            : $"norm {Number(layer.Norm)}";
        // Without a ratio and without a problem, the vector's width differs from the model's (reported for the file).
        return $"{measured}, {layer.Problem ?? (layer.Ratio is null ? "not compared with the model" : "ok")}";
    }

    private static string Number(float value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
