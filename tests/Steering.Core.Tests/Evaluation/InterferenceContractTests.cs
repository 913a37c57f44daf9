using LlamaSteer.Evaluation;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using static LlamaSteer.Core.Tests.Steering.HandMadeVectors;

namespace LlamaSteer.Core.Tests.Evaluation;

/// <summary>
/// What each column of <c>eval --interference</c> is, recomputed here from the scorer with plans the test builds itself:
/// the four shifts of every part (alone, as applied, the others, all together, each minus the unsteered mean), the
/// survival ratio, the cosines only where both vectors steer, and the refusals. The probe words are the shipped ones.
/// </summary>
[TestFixture]
public class InterferenceContractTests
{
    private LlamaModel _model = null!;

    [OneTimeSetUp]
    public void Load() => _model = SharedModel.Model;

    private IReadOnlyList<ProbedVector> Pair() =>
    [
        TrainedVectors.Probed(_model, "tinystories-girl-boy", SharedModel.Vector("tinystories-girl-boy")),
        TrainedVectors.Probed(_model, "tinystories-happy-sad", SharedModel.Vector("tinystories-happy-sad")),
    ];

    /// <summary>The probe's mean log-odds over the part's own prompts under one plan.</summary>
    private double Mean(ProbedVector part, SteeringPlan plan) =>
        new SteeredScorer(_model, 1).LogProbDifferences(part.Prompts.Select(p => (_model.Tokenize(p), plan)).ToList(), part.Probe).Average();

    [TestCase(false)]
    [TestCase(true)]
    public void EveryShiftIsItsPlanMinusUnsteeredOnTheProbesOwnPrompts(bool orthogonalise)
    {
        var parts = Pair();
        var report = Interference.Measure(_model, parts, orthogonalise, threads: 1);
        var given = parts.Select(p => p.Part).ToList();
        var applied = orthogonalise ? Composition.Orthogonalise(given) : given;
        Assert.That(report.Orthogonalised, Is.EqualTo(orthogonalise));
        for (var i = 0; i < parts.Count; i++)
        {
            var baseline = Mean(parts[i], SteeringPlan.None);
            var other = applied[1 - i];
            var r = report.Parts[i];
            Assert.Multiple(() =>
            {
                Assert.That(r.Name, Is.EqualTo(given[i].Name));
                Assert.That((r.Positive, r.Negative), Is.EqualTo((parts[i].Probe.PositiveWord, parts[i].Probe.NegativeWord)));
                Assert.That(r.AloneShift, Is.EqualTo(Mean(parts[i], new SteeringPlan([given[i].Term()])) - baseline).Within(1e-4), "alone");
                Assert.That(r.AppliedAloneShift, Is.EqualTo(Mean(parts[i], new SteeringPlan([applied[i].Term()])) - baseline).Within(1e-4), "applied alone");
                Assert.That(r.OthersShift, Is.EqualTo(Mean(parts[i], new SteeringPlan([other.Term()])) - baseline).Within(1e-4), "the other vector");
                Assert.That(r.CombinedShift, Is.EqualTo(Mean(parts[i], Composition.Plan(applied)) - baseline).Within(1e-4), "all together");
                // Each vector moves its own probe and the other moves it differently: the columns cannot stand in for each other.
                Assert.That(Math.Abs(r.AloneShift - r.OthersShift), Is.GreaterThan(0.05), "the test would not tell the columns apart");
            });
        }
        if (orthogonalise)
            Assert.That(Math.Abs(report.Parts[1].AppliedAloneShift - report.Parts[1].AloneShift), Is.GreaterThan(1e-3),
                "the second vector changes when orthogonalised, so its applied shift differs");
        else
        {
            Assert.That(report.Parts.Select(p => p.AppliedAloneShift), Is.EqualTo(report.Parts.Select(p => p.AloneShift)), "nothing is orthogonalised");
            Assert.That(report.AppliedCosines, Is.EqualTo(report.Cosines), "nothing is orthogonalised");
        }
    }

    [Test]
    public void ASingleVectorHasNoOthersAndItsCombinedShiftIsItsOwn()
    {
        var report = Interference.Measure(_model, [Pair()[1]], orthogonalise: true, threads: 1);
        var only = report.Parts.Single();
        Assert.Multiple(() =>
        {
            Assert.That(only.OthersShift, Is.Zero, "no other vector: the others' plan is the unsteered one");
            Assert.That(only.CombinedShift, Is.EqualTo(only.AloneShift).Within(1e-9));
            Assert.That(only.AppliedAloneShift, Is.EqualTo(only.AloneShift).Within(1e-9));
            Assert.That(only.AloneShift, Is.Not.Zero);
            Assert.That(report.Cosines, Is.Empty);
        });
    }

    [Test]
    public void SurvivalIsTheCombinedShiftOverTheAloneShift()
    {
        var part = new PartSurvival("x", "a", "b", AloneShift: 2, AppliedAloneShift: 1.5, OthersShift: -1, CombinedShift: 3);
        Assert.That(part.Survival, Is.EqualTo(1.5));
        Assert.That((part with { CombinedShift = -1 }).Survival, Is.EqualTo(-0.5));
    }

    [Test]
    public void CosinesAreReportedOnlyOnLayersBothVectorsSteerInLayerThenPairOrder()
    {
        var a = new ComposedVector("a", Vector((1, [1, 0]), (2, [1, 0])), 1);
        var b = new ComposedVector("b", Vector((2, [1, 1]), (3, [0, 1])), 1);
        var c = new ComposedVector("c", Vector((1, [0, 1]), (2, [-1, 0]), (3, [1, 0])), 1, LayerSet.Of([2, 3]));
        var cosines = Interference.Cosines([a, b, c]);
        var s = Math.Sqrt(0.5);
        Assert.That(cosines.Select(x => (x.Layer, x.First, x.Second)), Is.EqualTo(new[]
        {
            (2, "a", "b"), (2, "a", "c"), (2, "b", "c"), (3, "b", "c"),
        }), "layer 1: c's filter leaves it out; layer 3: a does not steer it");
        Assert.That(cosines.Select(x => x.Cosine), Is.EqualTo(new[] { s, -1, -s, 0 }).Within(1e-6));
    }

    [Test]
    public void NoVectorsOrAProbeWithoutPromptsIsRefused()
    {
        Assert.That(() => Interference.Measure(_model, [], orthogonalise: false),
            Throws.ArgumentException.With.Message.EqualTo("No vectors to compose."));
        var pair = Pair();
        var silent = pair[1] with { Prompts = [] };
        Assert.That(() => Interference.Measure(_model, [pair[0], silent], orthogonalise: false),
            Throws.ArgumentException.With.Message.EqualTo("The probe of tinystories-happy-sad has no prompts."));
    }
}
