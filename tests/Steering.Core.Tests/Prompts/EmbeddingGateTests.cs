using LlamaSteer.Evaluation;
using LlamaSteer.Generation;
using LlamaSteer.Models;
using LlamaSteer.Prompts;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;
using LlamaSteer.Testing;
using LlamaSteer.Training.Graph;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Prompts;

/// <summary>
/// The embedding gate: a steering token whose row is the (dequantized) embedding of a real vocabulary token, saved to a
/// token file and loaded back, gives the logits of that token fed by id, through the scorer, the single-sequence and the
/// batched generators. And a row that is not a token's changes them (so the comparison can fail).
/// </summary>
[TestFixture]
public class EmbeddingGateTests
{
    private const string Text = "Once upon a time, there was a little girl";
    private LlamaModel _model = null!;
    private ModelWeights _weights = null!;
    private string _dir = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _model = SharedModel.Model;
        _weights = ModelWeights.Load(TestPaths.Model);
        _dir = TestPaths.NewTempDirectory();
    }

    [OneTimeTearDown]
    public void Free()
    {
        _weights.Dispose();
        Directory.Delete(_dir, true);
    }

    /// <summary>The embedding row of <paramref name="token"/>, written to a token file as "word" and read back.</summary>
    private SteeringToken SavedRowOf(int token)
    {
        var path = Path.Combine(_dir, $"t{token}.gguf");
        var fingerprint = SteeringTokenFile.Fingerprint(TestPaths.Model);
        new SteeringTokenFile(fingerprint, _model.EmbeddingSize, [new SteeringToken("word", EmbeddingRows.Read(_weights, [token])[0], null, "gate")]).Save(path);
        return SteeringTokenFile.Load(path).CheckModel(path, fingerprint, _model.EmbeddingSize).Get("word", path);
    }

    [Test]
    public void ATokensRowFromATokenFileGivesTheLogitsOfThatTokenFedById()
    {
        var tokens = _model.Tokenize(Text);
        const int k = 4;
        var row = SavedRowOf(tokens[k]).Row;
        int[] slotted = [.. tokens[..k], PreparedPrompt.EmbeddingSlot, .. tokens[(k + 1)..]];
        var scorer = new SteeredScorer(_model, 1);
        var logits = new float[3][];
        scorer.LastLogits([
            new ScoredSequence(tokens, SteeringPlan.None),
            new ScoredSequence(new PreparedPrompt(slotted, new Dictionary<int, float[]> { [k] = row }), SteeringPlan.None),
            new ScoredSequence(new PreparedPrompt(slotted, new Dictionary<int, float[]> { [k] = row.Select(v => v * 1.5f).ToArray() }), SteeringPlan.None),
        ], (s, _, l) => logits[s] = l.ToArray());

        var same = logits[0].Zip(logits[1], (a, b) => Math.Abs(a - b)).Max();
        var other = logits[0].Zip(logits[2], (a, b) => Math.Abs(a - b)).Max();
        TestContext.Out.WriteLine($"max |logit difference|: token row {same:G3}, scaled row {other:G3}");
        Assert.That(same, Is.LessThan(1e-5));
        Assert.That(other, Is.GreaterThan(1e-2), "a different row must change the logits");
    }

    [Test]
    public void APromptWithTheTokenAsAPieceGeneratesAsTheTextDoes()
    {
        var once = _model.Tokenize("Once", addSpecial: false).Single();
        var pieces = Prompt.WithTokens([SavedRowOf(once).Piece], "upon a time");
        var prepared = pieces.Prepare(_model);
        Assert.That(prepared.Tokens.Where((t, i) => !prepared.IsEmbedding(i)), Is.EqualTo(_model.Tokenize("Once upon a time").Where(t => t != once)));
        Assert.That(prepared.Rows.Keys, Is.EqualTo(new[] { 1 }));

        var options = new GenerationOptions { MaxTokens = 24, Sampling = SamplingOptions.Greedy };
        using var ctx = _model.CreateContext(new() { Threads = 1, MaxSequences = 3 });
        var single = new TextGenerator(ctx).Generate(pieces, options).Text;
        Assert.That(single, Is.EqualTo(new TextGenerator(ctx).Generate("Once upon a time", options).Text));

        var sampled = options with { Sampling = new SamplingOptions { Temperature = 1f, Seed = 7 } };
        var batched = new BatchedGenerator(ctx).Generate([
            new GenerationRequest(pieces, sampled), new GenerationRequest("Once upon a time", sampled), new GenerationRequest(pieces, options)]);
        Assert.That(batched[0].Text, Is.EqualTo(batched[1].Text));
        Assert.That(batched[2].Text, Is.EqualTo(single));
    }

    [Test]
    public void PerSequencePlansStillApplyBesideSequencesHoldingSteeringTokens()
    {
        var n = _model.EmbeddingSize;
        var tokens = _model.Tokenize(Text);
        var row = EmbeddingRows.Read(_weights, [tokens[2]])[0].Select(v => v * 0.5f).ToArray();
        var prompt = new PreparedPrompt([.. tokens[..2], PreparedPrompt.EmbeddingSlot, .. tokens[3..]], new Dictionary<int, float[]> { [2] = row });
        var vector = new SteeringVector(n, new Dictionary<int, float[]> { [2] = Enumerable.Range(0, n).Select(i => 0.5f * MathF.Sin(i)).ToArray() });
        var plan = new SteeringPlan([new SteeringTerm(vector, 2f, LayerSet.Of([2]))]);
        ScoredSequence[] sequences = [new(prompt, plan), new(tokens, SteeringPlan.None), new(prompt, SteeringPlan.None)];
        var scorer = new SteeredScorer(_model, 1);
        float[][] Last(IReadOnlyList<ScoredSequence> s)
        {
            var result = new float[s.Count][];
            scorer.LastLogits(s, (i, _, l) => result[i] = l.ToArray());
            return result;
        }
        var together = Last(sequences);
        for (var i = 0; i < sequences.Length; i++)
            Assert.That(together[i].Zip(Last([sequences[i]])[0], (a, b) => Math.Abs(a - b)).Max(), Is.LessThan(1e-4), $"sequence {i} alone vs in the shared batches");
        Assert.That(together[0].Zip(together[2], (a, b) => Math.Abs(a - b)).Max(), Is.GreaterThan(1e-2), "the plan steers only its own sequence");
    }

    [Test]
    public void TheShippedTokensBelongToTheShippedModel()
    {
        var path = Path.Combine(TestPaths.RepoRoot, "vectors", "tokens", "stories260K-tokens.gguf");
        var model = Path.Combine(TestPaths.RepoRoot, "models", "stories260K.gguf");
        var file = SteeringTokenFile.Load(path).CheckModel(path, SteeringTokenFile.Fingerprint(model), 64);
        Assert.That(file.Tokens.Select(t => t.Name), Is.EquivalentTo(new[] { "happy", "dog", "tim", "park", "and" }));
        Assert.That(file.Tokens.Where(t => t.IsComposition).Select(t => t.Name), Is.EqualTo(new[] { "and" }));
        Assert.That(file.Get("happy").Instruction, Is.EqualTo("Write a happy story."));
    }

    [Test]
    public void ATokenFileForAnotherModelAndAnUnknownNameAreRefused()
    {
        var token = SavedRowOf(5);
        var path = Path.Combine(_dir, "t5.gguf");
        Assert.That(() => SteeringTokenFile.Load(path).CheckModel(path, new string('0', 64), _model.EmbeddingSize),
            Throws.TypeOf<SteeringTokenFormatException>().With.Message.Contains("another model"));
        Assert.That(() => SteeringTokenFile.Load(path).Get("nope", path), Throws.ArgumentException.With.Message.Contains("has no token 'nope' (it has word)"));
        Assert.That(() => new SteeringTokenFile("x", _model.EmbeddingSize, [token, token]), Throws.ArgumentException.With.Message.Contains("repeats"));
    }
}
