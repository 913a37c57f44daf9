using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Steering.Contextual;
using LlamaSteer.Testing;
using LlamaSteer.Training.Engine;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Methods.Clas;
using LlamaSteer.Training.Parameters;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Training;

/// <summary>
/// CLAS-lm: the graph's contextual steering is what LlamaSteer's inference does with the saved parameters (checked against
/// llama_decode with the plan hook), and training lowers the validation loss of held-out target completions.
/// </summary>
[TestFixture]
public class ClasLmTests
{
    private static SteeringVector RandomVector(int n) =>
        new(n, new Dictionary<int, float[]> { [2] = LlamaCppReference.RandomVector(n, 21, 0.5f), [3] = LlamaCppReference.RandomVector(n, 22, 0.5f) });

    [Test]
    public void GraphSteeringEqualsThePlanHookWithTheSavedParameters()
    {
        var model = SharedModel.Model;
        using var weights = ModelWeights.Load(TestPaths.Model);
        var n = model.EmbeddingSize;
        var vector = RandomVector(n);
        var strength = new ContextualStrengthParameters(vector.Layers.ToDictionary(l => l, l => vector.Direction(l).ToArray()), 1e-3f, 1e-1f);
        foreach (var l in vector.Layers)
        {
            LlamaCppReference.RandomVector(n, 30 + l, 0.05f).CopyTo(strength.Weights(l), 0);
            strength.Tensors.Single(t => t.Name == $"clas_b-{l}").Values[0] = 0.4f + 0.1f * l;
        }
        var saved = new ClasParameters(new LinearContextualStrength(n, vector.Layers.Select(l =>
            new ClasLayer(l, strength.Weights(l).Select(w => w / vector.Norm(l)).ToArray(), strength.Bias(l) / vector.Norm(l))), -ClasLmTrainer.NoClip, ClasLmTrainer.NoClip),
            ClasParameters.Fingerprint(vector));
        var tokens = model.Tokenize("Once upon a time, there was a little girl named Lily. She loved to play");

        using var runner = new GraphRunner(1);
        using var step = new GraphStep(LlamaGraphBuilder.NodeBudget(weights.Hyperparameters.LayerCount, 1));
        var pass = new LlamaGraphBuilder(weights, step).Build(tokens, strength);
        step.Output(pass.Logits);
        runner.Forward(step);
        var graph = pass.Logits.ReadFloats();

        using var ctx = model.CreateContext(new ContextOptions { Threads = 1, EnableGraphHooks = true, ExactAttention = true, ContextSize = 64 });
        using var lease = ctx.Acquire();
        var batch = new TokenBatch();
        for (var i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, 0, output: true);
        var hook = new PlanHook(model.LayerCount, n);
        hook.Prepare(batch, new Dictionary<int, SequenceSteering> { [0] = new(new SteeringPlan([saved.Term(vector, 1f)]), 0) });
        lease.Decode(batch, hook);
        var worst = 0.0;
        var unsteeredGap = 0.0;
        using var plain = new GraphStep(LlamaGraphBuilder.NodeBudget(weights.Hyperparameters.LayerCount, 1));
        var plainPass = new LlamaGraphBuilder(weights, plain).Build(tokens);
        plain.Output(plainPass.Logits);
        runner.Forward(plain);
        var unsteered = plainPass.Logits.ReadFloats();
        for (var i = 0; i < tokens.Length; i++)
        {
            var reference = lease.Logits(i);
            for (var k = 0; k < model.VocabularySize; k++)
            {
                worst = Math.Max(worst, Math.Abs(reference[k] - graph[i * model.VocabularySize + k]));
                unsteeredGap = Math.Max(unsteeredGap, Math.Abs(reference[k] - unsteered[i * model.VocabularySize + k]));
            }
        }
        Assert.That(unsteeredGap, Is.GreaterThan(0.1), "the parameters steer noticeably");
        Assert.That(worst, Is.LessThan(1e-4));
    }

    [Test]
    public void TrainingLowersTheValidationLossOfHeldOutTargets()
    {
        var model = SharedModel.Model;
        using var weights = ModelWeights.Load(TestPaths.Model);
        var folder = Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "clas");
        var train = CompletionDataset.Load(Path.Combine(folder, "happy-completions.train.jsonl")).Tokenize(model).Take(20).ToList();
        var validation = CompletionDataset.Load(Path.Combine(folder, "happy-completions.validation.jsonl")).Tokenize(model);
        var vector = RandomVector(model.EmbeddingSize);
        var baseline = new Trainer<CompletionExample>(weights, new ClasLmObjective(new ContextualStrengthParameters(
            vector.Layers.ToDictionary(l => l, l => vector.Direction(l).ToArray()), 1, 1)), new TrainerOptions()).Evaluate(validation);
        var result = ClasLmTrainer.Train(model, weights, vector, train, validation, new ClasLmOptions { Epochs = 2, GradientAccumulation = 5 });
        TestContext.Out.WriteLine($"validation loss: unsteered {baseline:F4}, per epoch {string.Join(", ", result.Report.EpochValidationLoss.Select(l => l.ToString("F4")))}; kept epoch {result.Report.KeptEpoch}");
        Assert.That(result.Report.EpochValidationLoss.Min(), Is.LessThan(baseline));
        Assert.That(result.Report.EpochValidationLoss[result.Report.KeptEpoch - 1], Is.EqualTo(result.Report.EpochValidationLoss.Min()));
        Assert.That(result.Parameters.BelongsTo(vector));
    }
}

/// <summary>
/// The CLAS parameters' gradient against central differences of the same log-probability computed by llama.cpp with the
/// saved parameters through the plan hook (the path <c>generate --clas</c> takes).
/// </summary>
[TestFixture]
public class ClasGradientTests
{
    [Test]
    public void WeightAndBiasGradientsEqualFiniteDifferencesThroughThePlanHook()
    {
        var model = SharedModel.Model;
        using var weights = ModelWeights.Load(TestPaths.Model);
        var n = model.EmbeddingSize;
        const int layer = 3;
        var direction = LlamaCppReference.RandomVector(n, 61, 0.5f);
        var vector = new SteeringVector(n, new Dictionary<int, float[]> { [layer] = direction });
        var strength = new ContextualStrengthParameters(new Dictionary<int, float[]> { [layer] = direction }, 1, 1);
        LlamaCppReference.RandomVector(n, 62, 0.05f).CopyTo(strength.Weights(layer), 0);
        var bias = strength.Tensors.Single(t => t.Name == $"clas_b-{layer}");
        bias.Values[0] = 0.7f;
        var prompt = model.Tokenize("Once upon a time, there was a little girl named Lily.");
        int[] tokens = [.. prompt, .. model.Tokenize(" She was very happy and played in the sun.", addSpecial: false)];

        using var runner = new GraphRunner(1);
        using var step = new GraphStep(LlamaGraphBuilder.NodeBudget(weights.Hyperparameters.LayerCount, 1));
        var pass = new LlamaGraphBuilder(weights, step).Build(tokens, strength);
        step.SetLoss(LlamaSteer.Training.Losses.SequenceLogProbability.Build(step, pass.Logits, tokens, prompt.Length));
        runner.ForwardBackward(step);
        var gradients = runner.Gradients(step);
        var gw = gradients[strength.Tensors.Single(t => t.Name == $"clas_w-{layer}")];
        var gb = gradients[bias][0];

        double LlamaCpp(float[] w, float b)
        {
            var norm = vector.Norm(layer);
            var saved = new ClasParameters(new LinearContextualStrength(n, [new ClasLayer(layer, w.Select(x => x / norm).ToArray(), b / norm)], -ClasLmTrainer.NoClip, ClasLmTrainer.NoClip),
                ClasParameters.Fingerprint(vector));
            using var ctx = model.CreateContext(new ContextOptions { Threads = 1, EnableGraphHooks = true, ExactAttention = true, ContextSize = 64 });
            using var lease = ctx.Acquire();
            var batch = new TokenBatch();
            for (var i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, 0, output: true);
            var hook = new PlanHook(model.LayerCount, n);
            hook.Prepare(batch, new Dictionary<int, SequenceSteering> { [0] = new(new SteeringPlan([saved.Term(vector, 1f)]), 0) });
            lease.Decode(batch, hook);
            var total = 0.0;
            for (var i = prompt.Length; i < tokens.Length; i++)
            {
                var row = lease.Logits(i - 1).ToArray();
                var max = row.Max();
                total += row[tokens[i]] - max - Math.Log(row.Sum(x => Math.Exp(x - max)));
            }
            return total;
        }

        var w0 = strength.Weights(layer).ToArray();
        const float eps = 1e-2f;
        double Relative(double fd, double g) => Math.Abs(fd - g) / Math.Max(1e-4, Math.Abs(fd) + Math.Abs(g));
        var worst = Relative((LlamaCpp(w0, 0.7f + eps) - LlamaCpp(w0, 0.7f - eps)) / (2 * eps), gb);
        for (var j = 0; j < n; j += 9)
        {
            var plus = (float[])w0.Clone();
            plus[j] += eps;
            var minus = (float[])w0.Clone();
            minus[j] -= eps;
            worst = Math.Max(worst, Relative((LlamaCpp(plus, 0.7f) - LlamaCpp(minus, 0.7f)) / (2 * eps), gw[j]));
        }
        Assert.That(Math.Abs(gb), Is.GreaterThan(1e-3), "the bias gradient is not trivially zero");
        Assert.That(worst, Is.LessThan(1e-2));
    }
}
