using LlamaSteer.Evaluation.Instructions;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Evaluation.Instructions;

/// <summary>
/// The paper's procedure on stories260K with a small slice of the shipped TinyStories set (two instructions,
/// layers 3-4, few prompts and samples): the layer is picked on validation, the held-out conditions are measured,
/// and composition reports joint compliance.
/// </summary>
[TestFixture]
public class InstructionSearchTests
{
    private LlamaModel _model = null!;
    private InstructionSet _set = null!;
    private IReadOnlyList<InstructionReport> _reports = null!;
    private CompositionReport _composition = null!;
    private InstructionSearchSettings _search = null!;

    [OneTimeSetUp]
    public void RunTheProcedure()
    {
        _model = SharedModel.Model;
        var dir = TestPaths.NewTempDirectory();
        try
        {
            // The shipped set's own instructions, on fewer prompts: 6 train, 3 validation, 3 test.
            var shipped = InstructionSet.Load(Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "instruction-sets", "tinystories.json"));
            var prompts = shipped.Train.Take(6).Concat(shipped.Validation.Take(3)).Concat(shipped.Test.Take(3));
            var path = Path.Combine(dir, "slice.json");
            File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(new
            {
                prompts,
                split = new { train = 6, validation = 3 },
                instructions = new[] { "named-character", "animal" }.Select(n => new { name = n, instruction = shipped[n].Text, checks = shipped[n].Checks.Select(c => c.Name) }),
            }));
            _set = InstructionSet.Load(path);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
        _search = new InstructionSearchSettings { Layers = LayerSet.Range(3, 4), Strengths = [0.5f], MaxPerplexityRatio = 1.5 };
        var compliance = new ComplianceSettings
        {
            MaxTokens = 20,
            Samples = 3,
            Sampling = new SamplingOptions { Temperature = 0.8f },
            NeutralText = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "neutral", "tinystories-neutral.txt")),
            Threads = 1,
        };
        _reports = InstructionSearch.Run(_model, _set, _search, compliance);
        _composition = InstructionComposition.Run(_model, _set, _reports, ["named-character", "animal"], _search, compliance);
    }


    [Test]
    public void EveryLayerAndOperatorIsSweptOnValidationAndTheBestUnderTheBoundIsPicked()
    {
        foreach (var r in _reports)
        {
            Assert.That(r.Validation.Select(v => (v.Layer, v.Operator)), Is.EquivalentTo(new[] { (3, "adjust-to-target"), (3, "add 0.5"), (4, "adjust-to-target"), (4, "add 0.5") }), r.Instruction.Name);
            Assert.That(r.Vector.Provenance.Calibration.Keys, Is.EquivalentTo(new[] { 3, 4 }), "adjust-to-target needs the training calibration");
            var eligible = r.Validation.Where(v => v.PerplexityRatio <= 1.5).ToList();
            if (eligible.Count == 0)
            {
                Assert.That(r.Chosen, Is.Null);
                Assert.That(r.Steered, Is.Null);
                continue;
            }
            Assert.That(r.Chosen, Is.Not.Null);
            Assert.That(r.Chosen!.PassRate, Is.EqualTo(eligible.Max(v => v.PassRate)), r.Instruction.Name);
            Assert.That(r.Steered, Is.Not.Null);
            Assert.That(r.Both, Is.Not.Null);
            Assert.That(r.Steered!.PerplexityRatio, Is.Not.EqualTo(1.0), "a steered plan changes the neutral text's perplexity");
        }
    }

    [Test]
    public void HeldOutConditionsAreMeasuredOnTheTestPrompts()
    {
        foreach (var r in _reports)
        {
            var n = _set.Test.Count * 3;
            Assert.That(r.Without.Generations, Has.Count.EqualTo(n));
            Assert.That(r.InPrompt.Generations, Has.Count.EqualTo(n));
            // Rates are recomputed here from the generations with the instruction's own checker.
            Assert.That(r.Without.PassRate, Is.EqualTo(r.Without.Generations.Count(r.Instruction.IsFollowedBy) / (double)n));
            Assert.That(r.InPrompt.PassRate, Is.EqualTo(r.InPrompt.Generations.Count(r.Instruction.IsFollowedBy) / (double)n));
            Assert.That(r.InPrompt.PerplexityRatio, Is.EqualTo(1.0), "no steering: the neutral text is scored unsteered");
        }
        // stories260K continues a story that says what it is about: writing the instruction in raises its checker's rate.
        var named = _reports.Single(r => r.Instruction.Name == "named-character");
        Assert.That(named.InPrompt.PassRate, Is.GreaterThan(named.Without.PassRate));
    }

    [Test]
    public void CompositionReportsJointComplianceWithAndWithoutOrthogonalisation()
    {
        Assert.That(_composition.Conditions.Select(c => c.Name), Is.EqualTo(new[]
        {
            "unsteered", $"named-character alone (add 0.5 @{_composition.Parts[0].Layers})", $"animal alone (add 0.5 @{_composition.Parts[1].Layers})",
            "all together", "all together, orthogonalised", "all written in the prompt",
        }));
        foreach (var c in _composition.Conditions)
        {
            var joint = c.Generations.Count(g => _set["named-character"].IsFollowedBy(g) && _set["animal"].IsFollowedBy(g)) / (double)c.Generations.Count;
            Assert.That(c.PassRate, Is.EqualTo(joint), c.Name);
        }
        var shared = _composition.Parts[0].Layers!.Layers.Intersect(_composition.Parts[1].Layers!.Layers).Any();
        Assert.That(_composition.Cosines, shared ? Is.Not.Empty : Is.Empty);
        var written = _composition.Conditions.Single(c => c.Name == "all written in the prompt");
        Assert.That(written.PassRate, Is.GreaterThan(_composition.Conditions[0].PassRate), "both instructions in the prompt: both followed more often than unsteered");
    }
}
