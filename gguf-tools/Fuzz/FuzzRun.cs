using System.Diagnostics;
using LlamaSteer.Cli;
using LlamaSteer.Generation;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.GgufTools.Fuzz;

/// <summary>
/// Runs mutated model and vector files, in this one process, through what <c>llamasteer info</c> (load the model,
/// create a context) and a two-token <c>llamasteer generate</c> (with the vector as steering) do. Every failure must
/// be one an error line explains (<see cref="FailureReport"/>); an unexpected exception is a bug, a native abort ends
/// the process (the case file stays in the work folder), and a case that runs past the time limit is a hang.
/// </summary>
internal sealed class FuzzRun(string modelPath, string vectorPath, string workFolder, int seed, TimeSpan caseLimit, TextWriter output)
{
    private const string Prompt = "Once upon a time";
    private static readonly ExitCodePolicy Policy = ExitCodePolicy.LlamaSteer;

    /// <summary>Runs <paramref name="cases"/> cases on <paramref name="workers"/> threads of this process (each with its own files, models and contexts).</summary>
    public FuzzOutcomes Run(int cases, int workers, CancellationToken cancellationToken)
    {
        var outcomes = new FuzzOutcomes();
        var clock = Stopwatch.StartNew();
        var done = 0;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
        {
            var share = cases / workers + (worker < cases % workers ? 1 : 0);
            RunWorker(worker, share, outcomes, () =>
            {
                var n = Interlocked.Increment(ref done);
                if (n % 5000 == 0)
                    lock (outcomes)
                        output.WriteLine($"fuzz: {n:N0} cases in {clock.Elapsed.TotalSeconds:F0} s, {outcomes.Generated:N0} generated, {outcomes.Refused:N0} refused, {outcomes.Unexpected.Count} unexpected");
            }, cancellationToken);
        });
        return outcomes;
    }

    private void RunWorker(int worker, int cases, FuzzOutcomes outcomes, Action caseDone, CancellationToken cancellationToken)
    {
        var workerSeed = seed + 1000 * worker;
        var modelMutator = new GgufMutator(modelPath, workerSeed);
        var vectorMutator = new GgufMutator(vectorPath, workerSeed + 1);
        var random = new Random(workerSeed + 2);
        var casePath = Path.Combine(workFolder, $"case-{worker}.gguf");
        var describe = Path.Combine(workFolder, $"case-{worker}.txt");
        using var cleanModel = LlamaModel.Load(modelPath);

        var current = Stopwatch.StartNew();
        var running = 0;
        using var watchdog = new Timer(_ =>
        {
            if (Volatile.Read(ref running) == 0 || current.Elapsed < caseLimit) return;
            output.WriteLine($"fuzz: HANG: a case ran for more than {caseLimit.TotalSeconds:F0} s; it is {casePath} ({File.ReadAllText(describe)})");
            Environment.Exit(ExitCodes.Failure);
        }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        for (var i = 0; i < cases; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Seven in ten cases mutate the model, the rest the vector.
            var isModel = random.Next(10) < 7;
            var (bytes, strategy) = isModel ? modelMutator.Next() : vectorMutator.Next();
            File.WriteAllBytes(casePath, bytes);
            File.WriteAllText(describe, $"worker {worker} case {i}, seed {workerSeed}, {(isModel ? "model" : "vector")} mutated by {strategy}");
            current.Restart();
            Volatile.Write(ref running, 1);
            try
            {
                if (isModel) InfoAndGenerate(casePath, null);
                else InfoAndGenerate(null, casePath, cleanModel);
                lock (outcomes)
                {
                    outcomes.Count(isModel);
                    outcomes.Succeeded();
                }
            }
            catch (Exception e)
            {
                var (_, line) = FailureReport.Describe(e, Policy);
                lock (outcomes)
                {
                    outcomes.Count(isModel);
                    if (line.StartsWith("unexpected ", StringComparison.Ordinal) || line.Contains('\n'))
                    {
                        var saved = Path.Combine(workFolder, $"unexpected-{outcomes.Unexpected.Count}.gguf");
                        File.Copy(casePath, saved, overwrite: true);
                        outcomes.Unexpected.Add($"{File.ReadAllText(describe)}: {line} (saved as {saved})");
                        output.WriteLine($"fuzz: UNEXPECTED: {outcomes.Unexpected[^1]}\n{e}");
                    }
                    else outcomes.Refusal(line, casePath);
                }
            }
            finally
            {
                Volatile.Write(ref running, 0);
            }
            caseDone();
        }
        File.Delete(casePath);
        File.Delete(describe);
    }

    /// <summary>What info and a two-token generate do with a model file, or with a vector file on the clean model.</summary>
    private static void InfoAndGenerate(string? model, string? vector, LlamaModel? loaded = null)
    {
        using var owned = model is null ? null : LlamaModel.Load(model);
        var m = owned ?? loaded!;
        var plan = SteeringPlan.None;
        if (vector is not null)
        {
            var v = ControlVectorFile.Read(vector, m.EmbeddingSize);
            plan = new SteeringPlan([new SteeringTerm(v, 1f)]).Validate(m.EmbeddingSize, m.LayerCount, 256);
        }
        using var ctx = m.CreateContext(new ContextOptions { Threads = 1, ContextSize = 256, EnableGraphHooks = !plan.IsStaticAdd });
        new TextGenerator(ctx).Generate(Prompt, new GenerationOptions { MaxTokens = 2, Sampling = SamplingOptions.Greedy, Plan = plan });
    }
}
