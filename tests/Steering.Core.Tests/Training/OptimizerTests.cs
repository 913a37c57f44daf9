using LlamaSteer.Training.Optimizer;
using LlamaSteer.Training.Parameters;

namespace LlamaSteer.Core.Tests.Training;

/// <summary>AdamW and the schedule against properties that follow from their definitions.</summary>
[TestFixture]
public class OptimizerTests
{
    [Test]
    public void FirstAdamStepMovesEachValueByTheLearningRateAgainstItsGradientSign()
    {
        // Bias-corrected Adam's first step is lr * g / (|g| + eps): the sign of g, whatever its size.
        var p = new TrainableTensor("p", [3], [1f, -2f, 0.5f]);
        new AdamW(0.01f, weightDecay: 0).Step(new Dictionary<TrainableTensor, float[]> { [p] = [4f, -0.001f, 0f] }, 1);
        Assert.That(p.Values, Is.EqualTo(new[] { 0.99f, -1.99f, 0.5f }).Within(1e-5));
    }

    [Test]
    public void WeightDecayIsDecoupledFromTheGradient()
    {
        // With a zero gradient only the decay acts: p(1 - lr*wd).
        var p = new TrainableTensor("p", [2], [2f, -4f]);
        new AdamW(0.1f, weightDecay: 0.5f).Step(new Dictionary<TrainableTensor, float[]> { [p] = [0f, 0f] }, 1);
        Assert.That(p.Values, Is.EqualTo(new[] { 2f * 0.95f, -4f * 0.95f }).Within(1e-6));
    }

    [Test]
    public void PerTensorLearningRateOverridesTheOptimizers()
    {
        var fast = new TrainableTensor("b", [1], [0f]) { LearningRate = 0.1f };
        var slow = new TrainableTensor("w", [1], [0f]);
        new AdamW(0.001f, 0).Step(new Dictionary<TrainableTensor, float[]> { [fast] = [1f], [slow] = [1f] }, 1);
        Assert.That(fast.Values[0], Is.EqualTo(-0.1f).Within(1e-6));
        Assert.That(slow.Values[0], Is.EqualTo(-0.001f).Within(1e-7));
    }

    [Test]
    public void ScheduleWarmsUpLinearlyThenDecaysAlongACosine()
    {
        var s = new LearningRateSchedule(WarmupSteps: 9, TotalSteps: 109);
        Assert.That(s.Factor(0), Is.EqualTo(0.1).Within(1e-12));
        Assert.That(s.Factor(4), Is.EqualTo(0.5).Within(1e-12));
        Assert.That(s.Factor(9), Is.EqualTo(1).Within(1e-12));
        Assert.That(s.Factor(59), Is.EqualTo(0.5).Within(1e-12), "half way through the decay, cos = 0");
        Assert.That(s.Factor(109), Is.EqualTo(0).Within(1e-12));
        Assert.That(new LearningRateSchedule(0, 10, Cosine: false).Factor(7), Is.EqualTo(1));
    }
}
