using System.CommandLine;
using System.Diagnostics;
using LlamaSteer.GgufTools.Commands;
using LlamaSteer.Vectors;

namespace LlamaSteer.GgufTools.Fuzz;

/// <summary>
/// <c>gguf-tools fuzz [--model M] [--vector V] [--cases N] [--seed S] [--work DIR]</c>: runs N mutated copies of a
/// model and a control vector through a model load, a context and a two-token steered generation in one process,
/// and prints a summary. Exit 0 when every case either ran or was refused with a one-line message; 1 when any
/// case raised an unexpected exception or hung (a native abort ends the process with the signal's code instead).
/// </summary>
internal static class FuzzCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "The model to mutate (default: the repository's models/stories260K.gguf)." };
        var vector = new Option<string?>("--vector") { Description = "The control vector to mutate (default: one with a random unit direction on every layer but 0 of the model, written to the work folder)." };
        var cases = new Option<int>("--cases", "-n") { Description = "How many mutated files to run (1 to 10,000,000).", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the mutations: the same seed runs the same cases.", DefaultValueFactory = _ => 1 };
        var work = new Option<string?>("--work") { Description = "Folder for the case files (default: a new folder under the temp folder); a case that crashed the process is left there as case.gguf, with case.txt." };
        var workers = new Option<int>("--parallel") { Description = "Threads of this one process that run cases side by side (1 to 64).", DefaultValueFactory = _ => 1 };
        var timeout = new Option<int>("--case-timeout") { Description = "Seconds one case may run before it counts as a hang.", DefaultValueFactory = _ => 60 };
        var command = new Command("fuzz", "Run mutated model and vector files through load, context and a two-token generation; every case must run or be refused with a one-line error.");
        foreach (var o in new Option[] { model, vector, cases, seed, work, workers, timeout }) command.Options.Add(o);
        workers.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 64) r.AddError("--parallel must be from 1 to 64.");
        });
        cases.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 10_000_000) r.AddError("--cases must be from 1 to 10,000,000.");
        });
        command.SetAction((parse, ct) => Task.Run(() => Run(parse.GetValue(model), parse.GetValue(vector), parse.GetValue(cases), parse.GetValue(seed), parse.GetValue(work), parse.GetValue(workers), parse.GetValue(timeout), ct), CancellationToken.None));
        return command;
    }

    private static int Run(string? modelPath, string? vectorPath, int cases, int seed, string? work, int workers, int timeoutSeconds, CancellationToken ct)
    {
        modelPath ??= RepositoryFiles.DefaultModel() ?? throw new ArgumentException("no model: give --model (the repository's models/stories260K.gguf was not found)");
        var folder = work ?? Path.Combine(Path.GetTempPath(), $"gguf-tools-fuzz-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        if (vectorPath is null)
        {
            vectorPath = Path.Combine(folder, "base-vector.gguf");
            ControlVectorFile.Write(RandomVector(modelPath, seed), vectorPath);
        }
        var watch = Stopwatch.StartNew();
        var outcomes = new FuzzRun(modelPath, vectorPath, folder, seed, TimeSpan.FromSeconds(timeoutSeconds), Console.Out).Run(cases, workers, ct);
        var o = Console.Out;
        o.WriteLine($"fuzz: {outcomes.Cases:N0} cases ({outcomes.ModelCases:N0} mutated models, {outcomes.VectorCases:N0} mutated vectors, seed {seed}, {workers} thread(s)) in {watch.Elapsed.TotalSeconds:F0} s: " +
                    $"{outcomes.Generated:N0} loaded and generated, {outcomes.Refused:N0} refused with a one-line error ({outcomes.RefusalKinds:N0} kinds), " +
                    $"{outcomes.Unexpected.Count} unexpected, 0 crashes, 0 hangs");
        o.WriteLine("most frequent refusals:");
        foreach (var (shape, count) in outcomes.TopRefusals(15)) o.WriteLine($"  {count,7:N0}  {shape}");
        if (work is null && outcomes.Unexpected.Count == 0) Directory.Delete(folder, recursive: true);
        return outcomes.Unexpected.Count == 0 ? ExitCodes.Success : ExitCodes.Usage;
    }

    /// <summary>A vector with a seeded random unit direction on every layer the model can steer (1 to the last).</summary>
    private static SteeringVector RandomVector(string modelPath, int seed)
    {
        var file = Gguf.GgufFile.Read(modelPath);
        var arch = file.Architecture!;
        var embd = (int)file.GetUInt32($"{arch}.embedding_length")!.Value;
        var layers = (int)file.GetUInt32($"{arch}.block_count")!.Value;
        var random = new Random(seed);
        var directions = Enumerable.Range(1, layers - 1).ToDictionary(l => l, _ =>
        {
            var d = Enumerable.Range(0, embd).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var norm = System.Numerics.Tensors.TensorPrimitives.Norm(d);
            return d.Select(x => x / norm).ToArray();
        });
        return new SteeringVector(embd, directions, arch);
    }
}
