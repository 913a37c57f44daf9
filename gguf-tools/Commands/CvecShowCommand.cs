using System.CommandLine;
using System.Globalization;
using LlamaSteer.GgufTools.Cvec;
using LlamaSteer.GgufTools.Inspect;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.GgufTools.Commands;

/// <summary><c>gguf-tools cvec show FILE</c>: a control vector's layers, norms and provenance, with its calibration per layer.</summary>
internal static class CvecShowCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "The control vector to show." };
        var command = new Command("show",
            "Print a control vector's width, layers and norms, how it was made (method, dataset, model, options) " +
            "and its calibration per layer (mean projection of positives and negatives, separation in pooled standard deviations). " +
            "Use 'gguf-tools inspect' for the raw metadata and tensor table.");
        command.Arguments.Add(file);
        command.SetAction(parsed => CvecProblems.Guard(parsed.InvocationConfiguration.Error, () =>
        {
            var path = parsed.GetValue(file)!;
            Write(path, ControlVectorFile.Read(path), parsed.InvocationConfiguration.Output);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static void Write(string path, SteeringVector vector, TextWriter output)
    {
        var p = vector.Provenance;
        output.WriteLine(path);
        var facts = new TextTable(["", ""], leftAlignedColumns: 2);
        facts.Add("model hint", vector.ModelHint ?? "-");
        facts.Add("n_embd", vector.EmbeddingSize.ToString(CultureInfo.InvariantCulture));
        facts.Add("layers", $"{LayerSet.Of(vector.Layers)} ({vector.Layers.Count})");
        facts.Add("method", p.Method ?? "-");
        facts.Add("dataset", p.DatasetName is null ? "-" : p.DatasetSha256 is null ? p.DatasetName : $"{p.DatasetName} (sha256 {p.DatasetSha256})");
        facts.Add("model", p.ModelFile is null ? "-" : p.ModelEmbeddingSize is { } embd ? $"{p.ModelFile} (n_embd {embd})" : p.ModelFile);
        facts.Add("options", p.Options ?? "-");
        facts.Add("created", p.CreatedUtc ?? "-");
        facts.WriteRows(output, "  ");

        output.WriteLine();
        var table = new TextTable(["layer", "norm", "positive mean", "negative mean", "separation"], leftAlignedColumns: 0);
        foreach (var layer in vector.Layers)
        {
            var c = p.Calibration.GetValueOrDefault(layer);
            table.Add(layer.ToString(CultureInfo.InvariantCulture), Number(vector.Norm(layer)),
                c is null ? "-" : Number(c.PositiveMean), c is null ? "-" : Number(c.NegativeMean), c is null ? "-" : Number(c.Separation));
        }
        table.Write(output, "  ");
        if (p.Calibration.Count == 0) output.WriteLine("  (no calibration: the file does not record one, or an operation such as compose dropped it)");
    }

    private static string Number(float value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
