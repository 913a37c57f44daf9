using LlamaSteer.Steering;
using LlamaSteer.Steering.Conditional;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Steering;

/// <summary>
/// The managed parts of conditional steering without the model: a condition's score, its strict threshold and its
/// validation messages, the threshold choice over labelled scores (candidates, reported accuracy and F1, refusals),
/// and a rule's construction and text. Expected values are worked out by hand in each case.
/// </summary>
[TestFixture]
public class ConditionContractTests
{
    private static SteeringVector Vector(int layer, params float[] direction) => new(direction.Length, new Dictionary<int, float[]> { [layer] = direction });

    private static SteeringCondition Condition(string name = "c", float threshold = 0.5f, int layer = 1, ConditionMetric metric = ConditionMetric.Projection) =>
        new(name, Vector(layer, 2, 0, 0, 0), layer, threshold, metric);

    [Test]
    public void ProjectionScoresOnTheUnitDirectionAndCosineDividesByTheStatesNorm()
    {
        // State (3, 4, 0, 0) against direction (2, 0, 0, 0): projection on the unit direction 3, cosine 3 / 5.
        float[] state = [3, 4, 0, 0];
        Assert.Multiple(() =>
        {
            Assert.That(Condition().Score(state), Is.EqualTo(3f).Within(1e-6f));
            Assert.That(Condition(metric: ConditionMetric.Cosine).Score(state), Is.EqualTo(0.6f).Within(1e-6f));
            Assert.That(Condition(metric: ConditionMetric.Cosine).Score(new float[4]), Is.Zero, "a zero state has no direction");
            Assert.That(Condition(metric: ConditionMetric.Cosine).Score([-6, 0, 0, 0]), Is.EqualTo(-1f).Within(1e-6f));
        });
    }

    [Test]
    public void StateOfAnotherWidthIsRefused()
    {
        Assert.That(() => Condition().Score([1, 2, 3]), Throws.ArgumentException.With.Message.EqualTo("The state has 3 values but the condition's direction has 4."));
    }

    [Test]
    public void ConditionHoldsOnlyAboveItsThreshold()
    {
        var c = Condition(threshold: 0.5f);
        Assert.Multiple(() =>
        {
            Assert.That(c.Holds(0.5f), Is.False, "a score equal to the threshold does not hold");
            Assert.That(c.Holds(MathF.BitIncrement(0.5f)), Is.True);
            Assert.That(c.Holds(MathF.BitDecrement(0.5f)), Is.False);
        });
    }

    [Test]
    public void ConditionOnTheFirstOrLastLayerOfTheModelIsValid()
    {
        Assert.That(() => Condition(layer: 0).Validate(4, 3), Throws.Nothing);
        Assert.That(() => Condition(layer: 2).Validate(4, 3), Throws.Nothing);
    }

    private static IEnumerable<TestCaseData> InvalidConditions()
    {
        TestCaseData Case(string name, SteeringCondition condition, string message) => new TestCaseData(condition, message).SetName($"InvalidConditionIsRefused({name})");
        yield return Case("no name", Condition(name: " "), "A condition needs a name.");
        yield return Case("NaN threshold", Condition(threshold: float.NaN), "Condition 'c' has a non-finite threshold (NaN).");
        yield return Case("another width", new SteeringCondition("c", Vector(1, 1, 0), 1, 0), "Condition 'c' has n_embd 2 but the model has 4.");
        yield return Case("a layer past the model", Condition(layer: 3), "Condition 'c' reads layer 3 but the model has layers 0-2.");
        yield return Case("a layer below the model", Condition() with { Layer = -1 }, "Condition 'c' reads layer -1 but the model has layers 0-2.");
        yield return Case("a layer its vector lacks", Condition() with { Layer = 2 }, "Condition 'c' reads layer 2 but its vector has no direction there (it has 1).");
        yield return Case("a zero direction", new SteeringCondition("c", Vector(1, 0, 0, 0, 0), 1, 0), "Condition 'c' has a zero direction at layer 1.");
    }

    [TestCaseSource(nameof(InvalidConditions))]
    public void InvalidConditionIsRefused(SteeringCondition condition, string message)
    {
        Assert.That(() => condition.Validate(4, 3), Throws.ArgumentException.With.Message.EqualTo(message));
    }

    /// <summary>
    /// Candidates are every midpoint between neighbouring distinct scores and one point half the scores' spread outside
    /// each end; the most accurate wins, ties to the lower threshold (which, candidates rising, is the better F1).
    /// </summary>
    [TestCase(new[] { 3f, 4f }, new[] { 0f, 1f }, 2f, 1.0, 1.0, TestName = "ThresholdIsTheBestCandidate(separable: the middle of the gap between the classes)")]
    [TestCase(new[] { 1f, 3f, 4f }, new[] { 2f }, -0.5f, 0.75, 6.0 / 7, TestName = "ThresholdIsTheBestCandidate(below every score: all hold, tied with 2.5 and a better F1)")]
    [TestCase(new[] { 2f }, new[] { 1f, 3f, 4f }, 5.5f, 0.75, 0.0, TestName = "ThresholdIsTheBestCandidate(above every score: none holds)")]
    [TestCase(new[] { 2f }, new[] { 2f }, 1.9995f, 0.5, 2.0 / 3, TestName = "ThresholdIsTheBestCandidate(one score: a thousandth of spread around it)")]
    public void ThresholdIsTheBestCandidate(float[] positive, float[] negative, float threshold, double accuracy, double f1)
    {
        var choice = ConditionFitter.ChooseThreshold(positive, negative);
        Assert.That(choice.Threshold, Is.EqualTo(threshold).Within(1e-6f));
        Assert.That(choice.Accuracy, Is.EqualTo(accuracy).Within(1e-12));
        Assert.That(choice.F1, Is.EqualTo(f1).Within(1e-12));
    }

    /// <summary>
    /// Whatever the scores, the accuracy and F1 reported are those of the chosen threshold under <see cref="SteeringCondition.Holds"/>
    /// (a score holds when it is above it), recounted here. The last two cases are neighbouring floats, whose midpoint rounds
    /// onto one of them: a score equal to a candidate must then count as not holding, as it will when the condition is used.
    /// </summary>
    [TestCase(new[] { 2f, 4f, 5f, 6f }, new[] { 1f, 3f, 4.5f })]
    [TestCase(new[] { 0f, 10f, 7f }, new[] { 5f, 6f, 6f, 11f })]
    [TestCase(new[] { -1f, -1f, 3f }, new[] { -1f, 2f })]
    [TestCase(new[] { 1f }, new[] { 0.99999994f })]
    [TestCase(new[] { 1.00000012f }, new[] { 1f })]
    public void ReportedAccuracyAndF1AreThoseOfTheChosenThreshold(float[] positive, float[] negative)
    {
        var choice = ConditionFitter.ChooseThreshold(positive, negative);
        var tp = positive.Count(s => s > choice.Threshold);
        var fp = negative.Count(s => s > choice.Threshold);
        var fn = positive.Length - tp;
        var tn = negative.Length - fp;
        Assert.That(choice.Accuracy, Is.EqualTo((double)(tp + tn) / (positive.Length + negative.Length)).Within(1e-12));
        Assert.That(choice.F1, Is.EqualTo(tp == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn)).Within(1e-12));
    }

    [Test]
    public void NeighbouringFloatsAreStillSeparated()
    {
        // The midpoint of 1 and the next float rounds to 1 itself; as 1 does not hold there, the classes still separate.
        var choice = ConditionFitter.ChooseThreshold([MathF.BitIncrement(1f)], [1f]);
        Assert.That(choice.Accuracy, Is.EqualTo(1));
        Assert.That(choice.Threshold, Is.EqualTo(1f));

        // Above an odd last bit the exact midpoint rounds to the upper score (ties to even), which does not hold there.
        var lower = MathF.BitIncrement(1f);
        var upper = MathF.BitIncrement(lower);
        Assert.That(lower / 2 + upper / 2, Is.EqualTo(upper), "the case this checks: the midpoint is the upper score");
        var up = ConditionFitter.ChooseThreshold([upper], [lower]);
        Assert.That(up.Accuracy, Is.EqualTo(1));
        Assert.That(up.Threshold, Is.EqualTo(lower));
        Assert.That(ConditionFitter.ChooseThreshold([lower], [upper]).Accuracy, Is.EqualTo(0.5), "the other way round no threshold separates them");
        // A score both classes share cannot be split, not even at a threshold equal to it.
        var shared = ConditionFitter.ChooseThreshold([lower, upper], [lower]);
        Assert.That(shared.Accuracy, Is.EqualTo(2 / 3.0).Within(1e-12));
        Assert.That(shared.Threshold, Is.LessThan(lower), "all three hold: the better F1 of the two equally accurate splits");
    }

    [Test]
    public void ThresholdChoiceRefusesMissingClassesAndNonFiniteScores()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => ConditionFitter.ChooseThreshold([], [1f]), Throws.ArgumentException.With.Message.EqualTo("Threshold selection needs scores of both classes."));
            Assert.That(() => ConditionFitter.ChooseThreshold([1f], []), Throws.ArgumentException.With.Message.EqualTo("Threshold selection needs scores of both classes."));
            Assert.That(() => ConditionFitter.ChooseThreshold([1f, float.NaN], [0f]), Throws.ArgumentException.With.Message.EqualTo("A score is not finite."));
            Assert.That(() => ConditionFitter.ChooseThreshold([1f], [0f, float.PositiveInfinity]), Throws.ArgumentException.With.Message.EqualTo("A score is not finite."));
        });
    }

    [Test]
    public void RuleTextJoinsItsTestsByHowTheyMatch()
    {
        var (a, b) = (Condition("a"), Condition("b"));
        Assert.That(ConditionalRule.IfAny("either", SteeringPlan.None, a, ConditionTest.Not(b)).ToString(), Is.EqualTo("either: if a or not b"));
        Assert.That(ConditionalRule.IfAll("both", SteeringPlan.None, ConditionTest.Not(a), b).ToString(), Is.EqualTo("both: if not a and b"));
    }

    [Test]
    public void RuleWithoutANameTestsOrBehaviourIsRefused()
    {
        ConditionTest[] tests = [Condition()];
        Assert.Multiple(() =>
        {
            Assert.That(() => new ConditionalRule(" ", tests, ConditionMatch.Any, SteeringPlan.None), Throws.ArgumentException.With.Property("ParamName").EqualTo("name"));
            Assert.That(() => new ConditionalRule(null!, tests, ConditionMatch.Any, SteeringPlan.None), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("name"));
            Assert.That(() => new ConditionalRule("r", null!, ConditionMatch.Any, SteeringPlan.None), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("tests"));
            Assert.That(() => new ConditionalRule("r", tests, ConditionMatch.Any, null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("behaviour"));
            Assert.That(() => new ConditionalRule("r", [], ConditionMatch.All, SteeringPlan.None),
                Throws.ArgumentException.With.Message.StartsWith("Rule 'r' has no conditions.").And.Property("ParamName").EqualTo("tests"));
        });
    }
}
