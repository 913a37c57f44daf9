using System.CommandLine;
using System.Globalization;
using LlamaSteer.Evaluation;
using LlamaSteer.Models;
using LlamaSteer.Steering;

namespace LlamaSteer.Host.Cli;

/// <summary>
/// <c>llamasteer gpu-compare</c>: the model with <c>--gpu-layers</c> against the same model on the CPU, without and with
/// the given steering: top-1 agreement on the CPU's greedy text (teacher-forced), the largest logit difference, and
/// whether the greedy texts are the same. <c>bench/gpu-check.sh</c> runs it on a GPU machine.
/// </summary>
internal static class GpuCompareCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var vectors = new VectorOptions();
        var prompts = new Option<string[]>("--prompt", "-p") { Description = "Prompt (repeatable; default: three story openings)" };
        var maxTokens = new Option<int>("--max-tokens", "-n") { Description = "Greedy tokens per prompt", DefaultValueFactory = _ => 48 };
        var command = new Command("gpu-compare", "Compare the model with --gpu-layers against the CPU, without and with steering: top-1 agreement, logit difference, greedy text");
        common.AddTo(command);
        vectors.AddTo(command);
        command.Options.Add(prompts);
        command.Options.Add(maxTokens);
        command.SetAction((parse, ct) => ErrorReporter.Report(() =>
        {
            if (parse.GetValue(maxTokens) < 1) throw new ArgumentException("--max-tokens must be at least 1.");
            var texts = parse.GetValue(prompts) is { Length: > 0 } p ? p : ["Once upon a time", "The little dog", "One day, Lily went to the park"];
            if (texts.Any(string.IsNullOrEmpty)) throw new ArgumentException("A prompt is empty.");
            using var other = common.LoadModel(parse, ct);
            using var cpu = LlamaModel.Load(common.ModelPath(parse), new ModelOptions { GpuLayers = 0 }, cancellationToken: ct);
            var plan = vectors.LoadPlan(parse, cpu, cpu.Info.TrainedContextLength);
            var threads = parse.GetValue(common.Threads);
            var o = Console.Out;
            o.WriteLine("steering  positions  top-1 agree  max |dlogit|  greedy text   prompt");
            var plans = plan.IsEmpty ? new[] { ("none", plan) } : [("none", SteeringPlan.None), ("steered", plan)];
            var worst = 1.0;
            foreach (var (name, steering) in plans)
                foreach (var text in texts)
                {
                    var r = DeviceAgreement.Compare(cpu, other, text, parse.GetValue(maxTokens), steering, threads, ct);
                    worst = Math.Min(worst, r.Top1Agreement);
                    o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{name,-8}  {r.Positions,9}  {r.Top1Agreement,11:P1}  {r.MaxLogitDifference,12:G4}  {(r.SameGreedyText ? "identical" : "differs"),-12}  {text}"));
                }
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lowest top-1 agreement {worst:P1}"));
            return Task.FromResult(ErrorReporter.Ok);
        }));
        return command;
    }
}
