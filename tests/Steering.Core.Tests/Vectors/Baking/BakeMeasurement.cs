using LlamaSteer.Core.Tests.Evaluation;
using LlamaSteer.Gguf;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Synthesis;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;
using LlamaSteer.Vectors.Baking;
using static LlamaSteer.Core.Tests.Vectors.Baking.BakeInputs;

namespace LlamaSteer.Core.Tests.Vectors.Baking;

/// <summary>
/// The README's bake table (explicit: about a minute): baked against online steering over every position of neutral
/// prompts, with llama.cpp's default attention and with <see cref="ContextOptions.ExactAttention"/>, next to the noise
/// floor: how far the online logits move when the vector itself changes by about one ulp of the residual stream.
/// Models: stories260K with the shipped happy-sad and girl-boy vectors trained on it, and a q8_0 synthetic model of
/// SmolLM2-135M's width (6 layers) with a random vector.
/// </summary>
[TestFixture, Explicit("prints the README's bake measurement")]
public class BakeMeasurement
{
    private static float[][] Logits(LlamaModel model, IReadOnlyList<VectorTerm> online, bool exact, string prompt)
    {
        using var context = model.CreateContext(new ContextOptions { Threads = 1, ExactAttention = exact });
        using var lease = context.Acquire();
        if (online.Count > 0)
        {
            var buffer = ControlVectorAdapter.Build(online, model.EmbeddingSize, model.LayerCount);
            lease.SetControlVector(buffer.Data, buffer.FirstLayer, buffer.LastLayer);
        }
        var tokens = model.Tokenize(prompt);
        var batch = new TokenBatch();
        for (var i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, 0, output: true);
        lease.Decode(batch);
        return Enumerable.Range(0, tokens.Length).Select(i => lease.Logits(i).ToArray()).ToArray();
    }

    private static float MaxDifference(float[][] a, float[][] b) => a.Zip(b, (x, y) => BakeInputs.MaxDifference(x, y)).Max();

    /// <summary>The terms with every direction moved by uniform noise of ±2e-7 (after strength), about one ulp of a residual entry of 1.</summary>
    private static VectorTerm[] Nudged(IReadOnlyList<VectorTerm> terms)
    {
        var rng = new Random(3);
        return terms.Select(t => t with
        {
            Vector = new SteeringVector(t.Vector.EmbeddingSize, t.Vector.Layers.ToDictionary(l => l,
                l => t.Vector.Direction(l).ToArray().Select(x => x + (float)(rng.NextDouble() - 0.5) * 4e-7f / Math.Abs(t.Strength)).ToArray())),
        }).ToArray();
    }

    [Test]
    public void BakedAgainstOnlineSteering()
    {
        var dir = TestPaths.NewTempDirectory();
        try
        {
            var prompts = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "neutral", "tinystories-neutral.txt"))
                .Where(l => l.Length > 20).Take(4).Select(l => l.Length > 300 ? l[..300] : l).ToArray();
            VectorTerm[] stories;
            using (var model = LlamaModel.Load(TestPaths.Model))
                stories = [new(TrainedVectors.Train(model, "tinystories-happy-sad"), 0.8f, null, "happy-sad"),
                    new(TrainedVectors.Train(model, "tinystories-girl-boy"), -0.3f, LayerSet.Range(2, 4), "girl-boy")];
            var q8 = Path.Combine(dir, "q8_0.gguf");
            SyntheticModelWriter.Write(new SyntheticModelSpec(ModelShape.Presets["smollm2-135m"] with { LayerCount = 6 }) { WeightType = GgmlType.Q8_0, TiedEmbeddings = true },
                GgufFile.Read(TestPaths.Model), q8);

            TestContext.Out.WriteLine("| model | vectors | attention | positions | max abs(baked - online) | noise floor | effect |");
            TestContext.Out.WriteLine("| --- | --- | --- | ---: | ---: | ---: | ---: |");
            foreach (var (name, path, terms) in new[]
            {
                ("stories260K", TestPaths.Model, stories),
                ("q8_0 synthetic, SmolLM2-135M width, 6 layers", q8, [new VectorTerm(RandomVector(9, 576, [1, 3, 5]), 0.3f, null, "random")]),
            })
            {
                var baked = Path.Combine(dir, $"baked-{Path.GetFileName(path)}");
                VectorBaker.Bake(path, terms, baked);
                using var original = LlamaModel.Load(path);
                using var steered = LlamaModel.Load(baked);
                var nudged = Nudged(terms);
                foreach (var exact in new[] { false, true })
                {
                    float difference = 0, noise = 0, effect = 0;
                    var positions = 0;
                    foreach (var prompt in prompts)
                    {
                        var online = Logits(original, terms, exact, prompt);
                        difference = Math.Max(difference, MaxDifference(online, Logits(steered, [], exact, prompt)));
                        noise = Math.Max(noise, MaxDifference(online, Logits(original, nudged, exact, prompt)));
                        effect = Math.Max(effect, MaxDifference(online, Logits(original, [], exact, prompt)));
                        positions += online.Length;
                    }
                    var vectors = string.Join(" + ", terms.Select(t => $"{t.Name} x{t.Strength}{(t.Layers is null ? "" : $"@{t.Layers}")}"));
                    TestContext.Out.WriteLine($"| {name} | {vectors} | {(exact ? "exact (F32 KV, no flash)" : "default")} | {positions} | {difference:G3} | {noise:G3} | {effect:G3} |");
                }
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
