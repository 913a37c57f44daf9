using LlamaSteer.Datasets;
using LlamaSteer.Models;
using LlamaSteer.Testing;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Methods.Tokens;

namespace LlamaSteer.Core.Tests.Training;

/// <summary>Steering tokens: self-distillation lowers the KL to the instruction-following teacher on held-out prompts.</summary>
[TestFixture]
public class TokenTrainingTests
{
    [Test]
    public void TrainingABehaviourTokenLowersTheHeldOutKl()
    {
        var model = SharedModel.Model;
        using var weights = ModelWeights.Load(TestPaths.Model);
        var prompts = ContrastiveDataset.LoadPromptList(Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "tokens", "tinystories-prompts.txt")).Take(8).ToList();
        var options = new TokenTrainingOptions { Samples = 2, MaxTokens = 16, Epochs = 3, GradientAccumulation = 2 };
        var result = TokenTrainer.TrainBehaviour(model, weights, "happy", "Write a happy story.", prompts, options);
        TestContext.Out.WriteLine($"held-out KL {result.HeldOutKlBefore:F4} -> {result.HeldOutKlAfter:F4} ({result.TrainExamples} train, {result.HeldOutExamples} held-out examples)");

        Assert.That(result.HeldOutExamples, Is.GreaterThan(0));
        Assert.That(result.HeldOutKlBefore, Is.GreaterThan(0));
        Assert.That(result.HeldOutKlAfter, Is.LessThan(result.HeldOutKlBefore * 0.9));
        // The KL the trainer reports is the KL of the saved row, computed again from scratch.
        var again = TokenTrainer.MeanKl(weights,
            DistillationData.Build(model, weights, [new DistillationTask(["Write a happy story."], ["happy"])], [prompts[3], prompts[7]], new DistillationSampling(2, 16, 1_000_001)),
            new Dictionary<string, float[]> { ["happy"] = result.Token.Row });
        Assert.That(again, Is.EqualTo(result.HeldOutKlAfter).Within(1e-4));
    }
}
