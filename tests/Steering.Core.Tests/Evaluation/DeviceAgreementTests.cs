using LlamaSteer.Evaluation;
using LlamaSteer.Gguf;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Synthesis;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Evaluation;

/// <summary>
/// The GPU-against-CPU comparison, exercised on the CPU: two loads of one model agree everywhere, two different models
/// do not, and a steering plan is applied to both sides alike.
/// </summary>
[TestFixture]
public class DeviceAgreementTests
{
    private string _dir = null!;

    [SetUp] public void MakeDir() => _dir = TestPaths.NewTempDirectory();
    [TearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    private string Synth(ulong seed)
    {
        var path = Path.Combine(_dir, $"model-{seed}.gguf");
        SyntheticModelWriter.Write(new SyntheticModelSpec(new ModelShape(64, 2, 4, 2, 128, 512)) { Seed = seed }, GgufFile.Read(TestPaths.Model), path);
        return path;
    }

    [Test]
    public void TwoLoadsOfOneModelAgreeOnEveryPosition()
    {
        using var a = LlamaModel.Load(TestPaths.Model);
        using var b = LlamaModel.Load(TestPaths.Model);
        var r = DeviceAgreement.Compare(a, b, "Once upon a time", 12, SteeringPlan.None, threads: 1);
        Assert.Multiple(() =>
        {
            Assert.That(r.Positions, Is.EqualTo(12), "the prompt's last token and 11 generated ones predict the 12 generated tokens");
            Assert.That(r.Top1Agreement, Is.EqualTo(1.0));
            Assert.That(r.MaxLogitDifference, Is.Zero);
            Assert.That(r.SameGreedyText, Is.True);
            Assert.That(r.ReferenceText, Is.Not.Empty);
        });
    }

    [Test]
    public void DifferentWeightsDisagree()
    {
        using var a = LlamaModel.Load(Synth(1));
        using var b = LlamaModel.Load(Synth(2));
        var r = DeviceAgreement.Compare(a, b, "Once upon a time", 12, SteeringPlan.None, threads: 1);
        Assert.That(r.Top1Agreement, Is.LessThan(1.0));
        Assert.That(r.MaxLogitDifference, Is.GreaterThan(0));
    }

    [Test]
    public void APlanSteersBothSidesAlikeAndChangesWhatTheyCompute()
    {
        using var a = LlamaModel.Load(TestPaths.Model);
        using var b = LlamaModel.Load(TestPaths.Model);
        var direction = new float[a.EmbeddingSize];
        direction[3] = 4f;
        var vector = new SteeringVector(a.EmbeddingSize, Enumerable.Range(1, 4).ToDictionary(l => l, _ => direction));
        // Only the generated tokens: a windowed plan runs in the evaluation callback, not as llama.cpp's control vector.
        var plan = new SteeringPlan([new SteeringTerm(vector, 2f, LayerSet.Range(1, 4), Window: TokenWindow.Generated)]);
        var steered = DeviceAgreement.Compare(a, b, "Once upon a time", 12, plan, threads: 1);
        var plain = DeviceAgreement.Compare(a, b, "Once upon a time", 12, SteeringPlan.None, threads: 1);
        Assert.Multiple(() =>
        {
            Assert.That(steered.Top1Agreement, Is.EqualTo(1.0));
            Assert.That(steered.MaxLogitDifference, Is.Zero);
            Assert.That(steered.ReferenceText, Is.Not.EqualTo(plain.ReferenceText), "the plan changed the text, so it ran");
        });
    }
}
