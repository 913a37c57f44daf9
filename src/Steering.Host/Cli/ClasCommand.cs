using LlamaSteer.Cli.Outputs;
using System.CommandLine;
using LlamaSteer.Capture;
using LlamaSteer.Datasets;
using LlamaSteer.Steering;
using LlamaSteer.Steering.Contextual;
using LlamaSteer.Vectors;

namespace LlamaSteer.Host.Cli;

/// <summary>
/// <c>llamasteer clas</c>: fit CLAS contextual-strength parameters for a vector from a few examples of
/// text where its behaviour is wanted and where it is not, and save them beside the vector
/// (<c>v.gguf</c> → <c>v.clas.gguf</c>), where <c>generate --clas</c> finds them.
/// </summary>
internal static class ClasCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var vector = new Option<string>("--vector") { Description = "The control-vector file the parameters belong to", Required = true };
        var objective = new Option<string>("--objective") { Description = "ridge (LlamaSteer's closed-form fit on wanted/unwanted examples) | lm (the paper's: AdamW on target completions)", DefaultValueFactory = _ => "ridge" };
        var wanted = new Option<string?>("--wanted") { Description = "ridge: text file, one example per line, where the behaviour is wanted" };
        var unwanted = new Option<string?>("--unwanted") { Description = "ridge: text file, one example per line, where it is not" };
        var layers = new Option<string?>("--layers") { Description = "Layers to fit (default: every layer of the vector)" };
        var positions = new Option<string>("--positions") { Description = "all (every token of an example) | last (its last token)", DefaultValueFactory = _ => "all" };
        var wantedPositions = new Option<string?>("--wanted-positions") { Description = "all | last for the wanted examples only (default: --positions); e.g. last, where each example ends on the cue" };
        var unwantedPositions = new Option<string?>("--unwanted-positions") { Description = "all | last for the unwanted examples only (default: --positions)" };
        var ridge = new Option<float>("--ridge") { Description = "Ridge strength relative to the states' variance", DefaultValueFactory = _ => 0.1f };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write (default: beside the vector, NAME.clas.gguf)" };
        var command = new Command("clas", "Fit CLAS (contextual linear activation steering) parameters for a vector and save them beside it");
        common.AddTo(command);
        foreach (var o in new Option[] { vector, objective, wanted, unwanted, layers, positions, wantedPositions, unwantedPositions, ridge, output }) command.Options.Add(o);
        var lm = new ClasLmTraining();
        lm.AddTo(command);

        command.SetAction((parse, ct) => ErrorReporter.Report(() =>
        {
            var vectorPath = parse.GetValue(vector)!;
            var outPath = parse.GetValue(output) ?? ClasParameters.PathBeside(vectorPath);
            OutputGuard.Check(outPath, parse.GetValue(output) is null ? "the CLAS file" : "--output", [
                new("--vector", vectorPath), new("--wanted", parse.GetValue(wanted)), new("--unwanted", parse.GetValue(unwanted)), new("--model", common.ModelPath(parse))]);
            switch (parse.GetValue(objective)!.ToLowerInvariant())
            {
                case "lm": return Task.FromResult(lm.Run(parse, common, vectorPath, parse.GetValue(layers), parse.GetValue(output), ct));
                case "ridge": break;
                case var other: throw new ArgumentException($"Unknown --objective '{other}': use ridge or lm.");
            }
            var wantedTexts = ContrastiveDataset.LoadPromptList(parse.GetValue(wanted) ?? throw new ArgumentException("--objective ridge needs --wanted FILE and --unwanted FILE."));
            var unwantedTexts = ContrastiveDataset.LoadPromptList(parse.GetValue(unwanted) ?? throw new ArgumentException("--objective ridge needs --wanted FILE and --unwanted FILE."));
            if (wantedTexts.SequenceEqual(unwantedTexts))
                throw new ArgumentException("--wanted and --unwanted hold the same examples; CLAS learns where the behaviour is wanted from how they differ, so it would fit nothing.");
            var both = LastOnly(parse.GetValue(positions)!, "--positions");
            var wantedLast = parse.GetValue(wantedPositions) is { } wp ? LastOnly(wp, "--wanted-positions") : both;
            var unwantedLast = parse.GetValue(unwantedPositions) is { } up ? LastOnly(up, "--unwanted-positions") : both;
            using var model = common.LoadModel(parse, ct);
            var v = ControlVectorFile.Read(vectorPath, model.EmbeddingSize);
            // Skip BOS where the model adds one: its state is an outlier, not part of the example.
            var bos = model.Tokenize("a").Length - model.Tokenize("a", addSpecial: false).Length;
            // Every token from CompletionStart on is a row, so "last" starts the completion at the last token.
            CaptureItem Item(string text, bool last)
            {
                var tokens = model.Tokenize(text);
                return new(tokens, last ? tokens.Length - 1 : Math.Min(bos, tokens.Length - 1));
            }
            var options = new ClasFitOptions
            {
                Ridge = parse.GetValue(ridge),
                Positions = CapturePositions.AllTokens,
                Layers = parse.GetValue(layers) is { } l ? LayerSet.Parse(l, model.LayerCount) : null,
                Threads = parse.GetValue(common.Threads),
            };
            var clas = ClasFitter.Fit(model, v, wantedTexts.Select(t => Item(t, wantedLast)).ToList(), unwantedTexts.Select(t => Item(t, unwantedLast)).ToList(), options, ct);
            clas.Save(outPath);
            Console.Out.WriteLine("layer  bias     |w|");
            foreach (var layer in clas.Strength.Layers)
                Console.Out.WriteLine($"{layer,5}  {clas.Strength.Bias(layer),7:F3}  {System.Numerics.Tensors.TensorPrimitives.Norm(clas.Strength.Weights(layer)),7:F3}");
            Console.Error.WriteLine($"wrote {outPath} ({wantedTexts.Count} wanted, {unwantedTexts.Count} unwanted examples)");
            return Task.FromResult(ErrorReporter.Ok);
        }));
        return command;
    }

    /// <summary>True for "last" (the example's last token), false for "all" (every token).</summary>
    private static bool LastOnly(string value, string option) => value.ToLowerInvariant() switch
    {
        "all" => false,
        "last" => true,
        _ => throw new ArgumentException($"Unknown {option} '{value}': use all or last."),
    };
}
