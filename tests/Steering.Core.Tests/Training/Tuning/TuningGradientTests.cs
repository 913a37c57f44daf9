using System.Numerics.Tensors;
using LlamaSteer.Core.Tests.Training;
using LlamaSteer.Models;
using LlamaSteer.Testing;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Methods.Clas;
using LlamaSteer.Training.Methods.Tuning;

namespace LlamaSteer.Core.Tests.Training.Tuning;

/// <summary>
/// The tuning loss's gradient (token cross-entropy + λ·representation loss through the cosine built from sum_rows,
/// sqrt and div, and abs) equals central differences of the loss itself along the gradient's direction, for full
/// weight copies and for a low-rank update, tuning in and out.
/// </summary>
[TestFixture]
public class TuningGradientTests
{
    [TestCase(TuningMode.In, null)]
    [TestCase(TuningMode.Out, null)]
    [TestCase(TuningMode.Out, 3)]
    public void GradientEqualsCentralDifferences(TuningMode mode, int? rank)
    {
        var model = SharedModel.Model;
        using var weights = ModelWeights.Load(TestPaths.Model);
        using var runner = new GraphRunner(1);
        var prompt = model.Tokenize("Once upon a time, there was a little girl named Lily.");
        var response = model.Tokenize(" She was very happy and smiled.", addSpecial: false);
        var example = new CompletionExample([.. prompt, .. response], prompt.Length);
        var targets = new[] { FrozenMatrices.Read(weights, runner, 3, "ffn_down"), FrozenMatrices.Read(weights, runner, 2, "attn_output") };
        TunedWeights tuned = rank is { } r ? new LowRankUpdates(targets, r, seed: 4) : new WeightCopies(targets);
        var units = new Dictionary<int, float[]> { [2] = Unit(LlamaCppReference.RandomVector(64, 8, 1f)), [3] = Unit(LlamaCppReference.RandomVector(64, 9, 1f)) };
        var objective = new TuningObjective(units, mode, lambda: 20f, tuned); // λ large, so the representation term dominates the gradient
        if (rank is not null) // B starts at zero, where A has no gradient; move B off zero so both are checked
            foreach (var b in tuned.Tensors.Where(t => t.Name.StartsWith("lora_b", StringComparison.Ordinal)))
                LlamaCppReference.RandomVector(b.Values.Length, 11, 0.05f).CopyTo(b.Values, 0);

        double Loss()
        {
            using var step = new GraphStep(LlamaGraphBuilder.NodeBudget(weights.Hyperparameters.LayerCount, 1));
            var loss = step.Output(objective.BuildLoss(step, new LlamaGraphBuilder(weights, step), example, new Random(1)));
            runner.Forward(step);
            return loss.ReadScalar();
        }

        IReadOnlyDictionary<LlamaSteer.Training.Parameters.TrainableTensor, float[]> gradients;
        using (var step = new GraphStep(LlamaGraphBuilder.NodeBudget(weights.Hyperparameters.LayerCount, 1)))
        {
            step.SetLoss(objective.BuildLoss(step, new LlamaGraphBuilder(weights, step), example, new Random(1)));
            runner.ForwardBackward(step);
            gradients = runner.Gradients(step);
        }
        if (tuned is LowRankUpdates lowRank)
        {
            // W + B·A merged on the CPU (what is written to the file) gives the loss the graph computes as W·x + B·(A·x).
            var merged = new TuningObjective(units, mode, 20f, new WeightCopies([.. targets.Select(t => t with { Frozen = lowRank.Weight(t) })]));
            using var step = new GraphStep(LlamaGraphBuilder.NodeBudget(weights.Hyperparameters.LayerCount, 1));
            var loss = step.Output(merged.BuildLoss(step, new LlamaGraphBuilder(weights, step), example, new Random(1)));
            runner.Forward(step);
            Assert.That(loss.ReadScalar(), Is.EqualTo(Loss()).Within(1e-4), "merged low-rank update");
        }
        foreach (var tensor in tuned.Tensors)
        {
            var g = gradients[tensor];
            var norm = TensorPrimitives.Norm(g);
            Assert.That(norm, Is.GreaterThan(0), $"{tensor.Name} has a gradient");
            var original = tensor.Snapshot();
            const float eps = 1e-2f;
            double At(float sign)
            {
                for (var i = 0; i < g.Length; i++) tensor.Values[i] = original[i] + sign * eps * g[i] / norm;
                return Loss();
            }
            var numeric = (At(1) - At(-1)) / (2 * eps);
            original.CopyTo(tensor.Values, 0);
            TestContext.Out.WriteLine($"{mode} {tensor.Name}: |g| {norm:E4}, central difference along g {numeric:E4}");
            Assert.That(numeric, Is.EqualTo(norm).Within(2e-3 * norm), tensor.Name);
        }
    }

    private static float[] Unit(float[] v)
    {
        var n = TensorPrimitives.Norm(v);
        return [.. v.Select(x => x / n)];
    }
}
