using LlamaSteer.Generation;
using LlamaSteer.Models;
using LlamaSteer.Prompts;
using LlamaSteer.Sampling;
using LlamaSteer.Training.Graph;

namespace LlamaSteer.Training.Methods.Tokens;

/// <summary>One behaviour set up for distillation: the instructions the teacher reads and the steering tokens the student reads in their place.</summary>
/// <param name="Instructions">Teacher: these texts in front of the base prompt, in order.</param>
/// <param name="Slots">Student: these steering tokens (by name) in front of the base prompt, in order.</param>
public sealed record DistillationTask(IReadOnlyList<string> Instructions, IReadOnlyList<string> Slots)
{
    public override string ToString() => string.Join(" + ", Slots);
}

/// <summary>How teacher continuations are drawn: <paramref name="Samples"/> per base prompt of <paramref name="MaxTokens"/> tokens at temperature 1 (no filters), seeded.</summary>
public sealed record DistillationSampling(int Samples = 4, int MaxTokens = 24, uint Seed = 1, int? Threads = 1);

/// <summary>
/// Builds self-distillation examples: samples continuations from the teacher (the model with the instructions in front
/// of each base prompt, through llama.cpp), then computes the teacher's next-token distribution at every continuation
/// position with the training graph (F32 throughout, the same path the student runs, so a student equal to the teacher
/// has a KL of exactly 0).
/// </summary>
public static class DistillationData
{
    /// <exception cref="ArgumentException">No base prompt, an empty prompt or instruction, or bad sampling counts.</exception>
    public static IReadOnlyList<DistillationExample> Build(LlamaModel model, ModelWeights weights, IReadOnlyList<DistillationTask> tasks, IReadOnlyList<string> prompts,
        DistillationSampling sampling, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0) throw new ArgumentException("there is no base prompt.");
        if (prompts.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("a base prompt is empty.");
        if (tasks.Any(t => t.Instructions.Count == 0 || t.Instructions.Any(string.IsNullOrWhiteSpace))) throw new ArgumentException("an instruction is empty.");
        if (sampling.Samples < 1 || sampling.MaxTokens < 1) throw new ArgumentException("samples and max-tokens must be at least 1.");

        var requests = new List<(DistillationTask Task, string Prompt, GenerationRequest Request)>();
        var k = 0u;
        foreach (var task in tasks)
            foreach (var prompt in prompts)
                for (var s = 0; s < sampling.Samples; s++)
                {
                    var teacher = new Prompt([.. task.Instructions.Select(i => new TextPiece(i)), new TextPiece(prompt)]);
                    var options = new GenerationOptions
                    {
                        MaxTokens = sampling.MaxTokens,
                        Sampling = new SamplingOptions { Temperature = 1f, TopK = 0, TopP = 1f, MinP = 0f, Seed = sampling.Seed + k++ },
                    };
                    requests.Add((task, prompt, new GenerationRequest(teacher, options)));
                }

        var continuations = Sample(model, requests.Select(r => r.Request).ToList(), sampling, cancellationToken);
        var examples = new List<DistillationExample>();
        using var runner = new GraphRunner(sampling.Threads ?? 1);
        for (var i = 0; i < requests.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var continuation = continuations[i];
            if (continuation.Count == 0) continue;
            var (task, prompt, request) = requests[i];
            var teacher = request.Pieces!.Prepare(model).Tokens;
            var (probabilities, entropy) = TeacherDistributions(weights, runner, [.. teacher, .. continuation], teacher.Length, continuation.Count);
            var bos = model.Tokenize("", addSpecial: true);
            int[] student = [.. bos, .. task.Slots.Select(_ => PreparedPrompt.EmbeddingSlot), .. model.Tokenize(prompt, addSpecial: false), .. continuation];
            var slots = task.Slots.Select((name, j) => (Position: bos.Length + j, name)).ToDictionary(x => x.Position, x => x.name);
            examples.Add(new DistillationExample(student, slots, student.Length - continuation.Count, probabilities, entropy));
        }
        if (examples.Count == 0) throw new ArgumentException("the teacher ended every continuation at once; there is nothing to distil.");
        return examples;
    }

    private static IReadOnlyList<int>[] Sample(LlamaModel model, IReadOnlyList<GenerationRequest> requests, DistillationSampling sampling, CancellationToken ct)
    {
        var longest = requests.Max(r => r.Pieces!.Prepare(model).Length) + sampling.MaxTokens + 1;
        var together = Math.Clamp(8192 / longest, 1, Math.Min(64, requests.Count));
        using var ctx = model.CreateContext(new Inference.ContextOptions
        {
            Threads = sampling.Threads,
            MaxSequences = together,
            ContextSize = Math.Max(8, together * longest),
            BatchSize = Math.Max(512, together),
        });
        var generator = new BatchedGenerator(ctx);
        var result = new List<IReadOnlyList<int>>();
        foreach (var chunk in requests.Chunk(together))
            result.AddRange(generator.Generate(chunk, ct).Select(r => r.Tokens));
        return [.. result];
    }

    /// <summary>softmax of the teacher's logits at positions start-1 .. start+count-2, and their mean entropy.</summary>
    private static (float[] Probabilities, double Entropy) TeacherDistributions(ModelWeights weights, GraphRunner runner, int[] tokens, int start, int count)
    {
        using var step = new GraphStep(LlamaGraphBuilder.NodeBudget(weights.Hyperparameters.LayerCount, 1));
        var pass = new LlamaGraphBuilder(weights, step).Build(tokens);
        step.Output(pass.Logits);
        runner.Forward(step);
        var logits = pass.Logits.ReadFloats();
        var vocab = (int)pass.Logits.Dim(0);
        var probabilities = new float[vocab * count];
        var entropy = 0.0;
        for (var r = 0; r < count; r++)
        {
            var row = logits.AsSpan((start - 1 + r) * vocab, vocab);
            var max = double.NegativeInfinity;
            foreach (var v in row) max = Math.Max(max, v);
            var sum = 0.0;
            foreach (var v in row) sum += Math.Exp(v - max);
            var logSum = Math.Log(sum);
            for (var j = 0; j < vocab; j++)
            {
                var logP = row[j] - max - logSum;
                var p = Math.Exp(logP);
                probabilities[r * vocab + j] = (float)p;
                if (p > 0) entropy -= p * logP;
            }
        }
        return (probabilities, entropy / count);
    }
}
