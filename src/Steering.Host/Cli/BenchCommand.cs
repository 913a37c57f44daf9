using LlamaSteer.Cli.Outputs;
using LlamaSteer.Files;
using System.CommandLine;
using LlamaSteer.Host.Bench;

namespace LlamaSteer.Host.Cli;

/// <summary><c>llamasteer bench</c>: tokens/s of every steering path on one model, with ratios to plain decode and prefill measured in the same run.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var runs = new Option<int>("--runs") { Description = "Timed runs per row (after two warm-up rounds)", DefaultValueFactory = _ => 5 };
        var tokens = new Option<int>("--tokens") { Description = "Tokens decoded per run", DefaultValueFactory = _ => 64 };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt length, and sample length for prefill and extraction", DefaultValueFactory = _ => 64 };
        var samples = new Option<int>("--samples") { Description = "Samples for the prefill and extraction rows (packed into 512-token decodes)", DefaultValueFactory = _ => 32 };
        var batch = new Option<int>("--batch") { Description = "Sequences decoded together in the batched rows", DefaultValueFactory = _ => 8 };
        var output = new Option<string?>("--output", "-o") { Description = "Write the report as OUT.json and OUT.md" };
        var only = new Option<string[]>("--rows") { Description = "Run only the rows whose name contains one of these texts (and the rows they are compared with); for profiling (repeatable)" };
        var command = new Command("bench", "Measure plain decode and prefill, static steering, per-sequence and CLAS plans, capture, extraction and batched requests on one model");
        common.AddTo(command);
        foreach (var o in new Option[] { runs, tokens, promptTokens, batch, samples, output, only }) command.Options.Add(o);
        command.SetAction((parse, ct) => ErrorReporter.Report(() =>
        {
            if (parse.GetValue(runs) < 1 || parse.GetValue(tokens) < 1 || parse.GetValue(promptTokens) < 2 || parse.GetValue(batch) < 1 || parse.GetValue(samples) < 1)
                throw new ArgumentException("--runs, --tokens, --batch and --samples must be at least 1, --prompt-tokens at least 2.");
            if (parse.GetValue(batch) * parse.GetValue(promptTokens) > 512 || parse.GetValue(batch) > 64)
                throw new ArgumentException("The batched prompts must fit one decode: --batch times --prompt-tokens at most 512, --batch at most 64.");
            if (parse.GetValue(output) is { } target)
                foreach (var file in new[] { target + ".json", target + ".md" })
                    OutputGuard.Check(file, "--output", [new("--model", common.ModelPath(parse))]);
            using var model = common.LoadModel(parse, ct);
            var threads = parse.GetValue(common.Threads) ?? Models.ThreadDefaults.For(model.Info.ParameterCount);
            var settings = new BenchSettings(threads, parse.GetValue(runs), parse.GetValue(tokens), parse.GetValue(promptTokens), parse.GetValue(batch),
                Math.Max(1024, parse.GetValue(batch) * (parse.GetValue(promptTokens) + parse.GetValue(tokens) + 8)), parse.GetValue(samples), parse.GetValue(only) ?? []);
            Console.Error.WriteLine($"llamasteer bench: {Path.GetFileName(model.Info.Path)}, {threads} thread(s), {settings.Runs} runs per row");
            var report = new BenchRunner(model, settings, Console.Error).Run(ct);
            var md = BenchOutput.Markdown(report);
            Console.Out.WriteLine(md);
            if (parse.GetValue(output) is { } o)
            {
                AtomicFile.WriteAllTexts([(o + ".json", BenchOutput.Json(report)), (o + ".md", md)], ct);
                Console.Error.WriteLine($"wrote {o}.json and {o}.md");
            }
            return Task.FromResult(ErrorReporter.Ok);
        }));
        return command;
    }
}
