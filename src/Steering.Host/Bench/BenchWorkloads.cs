using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.Host.Bench;

/// <summary>
/// The inputs the rows run on: prompts, samples, random vectors and per-sequence plans. Everything is
/// seeded, so every run of the bench (and every row within one) sees the same work.
/// </summary>
internal sealed class BenchWorkloads(LlamaModel model)
{
    /// <summary>Four middle layers (fewer on a model with fewer), never layer 0: where steering usually goes.</summary>
    public LayerSet MiddleLayers
    {
        get
        {
            var first = Math.Max(1, model.LayerCount / 2 - 2);
            return LayerSet.Range(first, Math.Min(model.LayerCount - 1, first + 3));
        }
    }

    public int[] Prompt(int n)
    {
        var text = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. ";
        var tokens = model.Tokenize(string.Concat(Enumerable.Repeat(text, n / 8 + 1)));
        return tokens[..Math.Min(n, tokens.Length)];
    }

    /// <summary>Short story openings, one per request.</summary>
    public IReadOnlyList<string> RequestPrompts(int count)
    {
        var names = new[] { "Lily", "Tim", "Sue", "Ben", "Max", "Mia", "Tom", "Anna" };
        var things = new[] { "a red ball", "a big dog", "a small cat", "a toy car", "a blue kite", "a tall tree", "a shiny stone", "a little boat" };
        return Enumerable.Range(0, count).Select(i => $"Once upon a time, {names[i % names.Length]} found {things[i % things.Length]} in the park. ").ToList();
    }

    public List<int[]> Samples(int count, int length)
    {
        var rng = new Random(1);
        var words = "the a girl boy dog cat park ball happy sad big small sun tree mom dad friend toy played ran jumped saw liked".Split(' ');
        return Enumerable.Range(0, count).Select(_ =>
        {
            var t = model.Tokenize(string.Join(' ', Enumerable.Range(0, length).Select(_ => words[rng.Next(words.Length)])));
            return t[..Math.Min(length, t.Length)];
        }).ToList();
    }

    /// <summary>llama.cpp's control-vector buffer (n_embd floats per layer from layer 1) with random values on <paramref name="layers"/>.</summary>
    public float[] ControlVectorBuffer(LayerSet layers)
    {
        var rng = new Random(2);
        var data = new float[layers.Last * model.EmbeddingSize];
        foreach (var l in layers.Layers)
            for (var k = (l - 1) * model.EmbeddingSize; k < l * model.EmbeddingSize; k++) data[k] = (float)(rng.NextDouble() - 0.5) * 0.1f;
        return data;
    }

    /// <summary>A random vector on <paramref name="layers"/> (entries in ±0.05), different for every seed.</summary>
    public SteeringVector Vector(LayerSet layers, int seed)
    {
        var rng = new Random(100 + seed);
        return new SteeringVector(model.EmbeddingSize, layers.Layers.ToDictionary(l => l, _ =>
            Enumerable.Range(0, model.EmbeddingSize).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.1f).ToArray()), model.Info.Architecture);
    }

    /// <summary>
    /// One plan per sequence, each with its own vector, so the plans differ and llama.cpp's single
    /// control vector cannot carry them. With <paramref name="contextual"/>, each term's strength is a
    /// linear CLAS coefficient of the hidden state.
    /// </summary>
    public SteeringPlan[] Plans(int sequences, LayerSet layers, bool contextual, int contextSize)
    {
        return Enumerable.Range(0, sequences).Select(s =>
        {
            var term = new SteeringTerm(Vector(layers, s), 1f, layers) { Name = $"bench vector {s}" };
            if (contextual) term = term with { Contextual = Strength(layers, s) };
            return new SteeringPlan([term]).Validate(model.EmbeddingSize, model.LayerCount, contextSize);
        }).ToArray();
    }

    private LinearStrength Strength(LayerSet layers, int seed)
    {
        var rng = new Random(200 + seed);
        var scale = 1f / MathF.Sqrt(model.EmbeddingSize);
        return new LinearStrength(layers.Layers.ToDictionary(l => l, _ =>
            Enumerable.Range(0, model.EmbeddingSize).Select(_ => (float)(rng.NextDouble() - 0.5) * scale).ToArray()), bias: 0.5f);
    }

    /// <summary>
    /// What generation does before every decode (see SteeringBinding.For): prepare the plan hook for the
    /// batch, and pass it only when the batch has something to steer.
    /// </summary>
    public static Func<TokenBatch, IGraphHook?> PlanHooks(PlanHook hook, IReadOnlyList<SteeringPlan> plans, int promptLength)
    {
        var bySequence = plans.Select((p, s) => (p, s)).ToDictionary(x => x.s, x => new SequenceSteering(x.p, promptLength));
        return batch =>
        {
            hook.Prepare(batch, bySequence);
            return hook.HasWork ? hook : null;
        };
    }
}
