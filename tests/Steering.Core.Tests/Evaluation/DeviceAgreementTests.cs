using LlamaSteer.Evaluation;
using LlamaSteer.Generation;
using LlamaSteer.Gguf;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
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
    public void TheCountsAndTheLargestDifferenceAreThoseOfBothModelsLogitsOnTheReferenceText()
    {
        using var one = LlamaModel.Load(Synth(1));
        using var two = LlamaModel.Load(Synth(2));
        // Both ways round: the difference of largest magnitude is negative one way, whatever sign it has.
        foreach (var (a, b) in new[] { (one, two), (two, one) })
        {
            const string prompt = "Once upon a time";
            var r = DeviceAgreement.Compare(a, b, prompt, 12, SteeringPlan.None, threads: 1);

            // The reference's greedy tokens, generated here, then both models' logits on them, compared here.
            GenerationResult reference;
            using (var context = a.CreateContext(new ContextOptions { Threads = 1 }))
                reference = new TextGenerator(context).Generate(prompt, new GenerationOptions { MaxTokens = 12, Sampling = SamplingOptions.Greedy });
            var promptTokens = a.Tokenize(prompt);
            var sequence = new[] { new ScoredSequence([.. promptTokens, .. reference.Tokens], SteeringPlan.None, promptTokens.Length) };
            var rows = new[] { a, b }.Select(m =>
            {
                var byPosition = new SortedDictionary<int, float[]>();
                new SteeredScorer(m, 1).ScoredLogits(sequence, (_, position, logits) => byPosition[position] = logits.ToArray());
                return byPosition.Values.ToArray();
            }).ToArray();
            var largest = rows[0].Zip(rows[1], (x, y) => x.Zip(y, (p, q) => Math.Abs((double)p - q)).Max()).Max();
            var agreements = rows[0].Zip(rows[1]).Count(z => Array.IndexOf(z.First, z.First.Max()) == Array.IndexOf(z.Second, z.Second.Max()));
            Assert.Multiple(() =>
            {
                Assert.That(r.ReferenceText, Is.EqualTo(reference.Text));
                Assert.That(r.Positions, Is.EqualTo(reference.Tokens.Count), "the prompt's last token and every generated one but the last");
                Assert.That(r.Top1Agreements, Is.EqualTo(agreements));
                Assert.That(r.MaxLogitDifference, Is.EqualTo(largest).Within(1e-5), "the largest |difference| whichever model's logit is larger");
            });
        }
    }

    [Test]
    public void AgreementIsTheShareOfPositionsAndWholeWhenNoneWereCompared()
    {
        Assert.That(new DeviceAgreementResult(4, 3, 0, "a", "b").Top1Agreement, Is.EqualTo(0.75));
        Assert.That(new DeviceAgreementResult(0, 0, 0, "", "").Top1Agreement, Is.EqualTo(1.0));
        Assert.That(new DeviceAgreementResult(1, 1, 0, "a", "b").SameGreedyText, Is.False);
        Assert.That(new DeviceAgreementResult(1, 1, 0, "a", "a").SameGreedyText, Is.True);
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
