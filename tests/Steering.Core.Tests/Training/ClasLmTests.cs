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
        using var model = LlamaModel.Load(TestPaths.Model);
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
        using var model = LlamaModel.Load(TestPaths.Model);
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
