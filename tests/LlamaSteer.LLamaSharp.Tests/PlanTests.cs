using LlamaSteer.LLamaSharp.Plans;
using LlamaSteer.Steering;
using LlamaSteer.Steering.Contextual;
using LlamaSteer.Vectors;

namespace LlamaSteer.LLamaSharp.Tests;

/// <summary>
/// Per-token plans in a LLamaSharp context (<see cref="SteeringContext"/>: a raw handle with LlamaSteer's evaluation
/// callback) give the greedy text <c>llamasteer generate</c> prints with the same steering options.
/// </summary>
[TestFixture]
public class PlanTests
{
    private const string Prompt = "Tim felt";
    private const int Tokens = 16;
    private SteeringContext _context = null!;
    private SteeringVector _mood = null!;

    [OneTimeSetUp]
    public void CreateContext()
    {
        _context = SteeringContext.Create(Models.Weights, Models.Parameters);
        _mood = ControlVectorFile.Read(Models.Mood, Models.Weights.EmbeddingSize);
    }

    [OneTimeTearDown]
    public void DisposeContext() => _context?.Dispose();

    private Task<string> Generate(params SteeringTerm[] terms) => Greedy.ThroughSteeringContext(_context, Prompt, Tokens, new SteeringPlan(terms));

    private static LayerSet Layers(string text) => LayerSet.Parse(text, 5);

    [Test]
    public async Task AWindowedVectorMatchesLlamasteer()
    {
        var generatedOnly = LlamaSteerCli.Generate(Prompt, Tokens, "--vector", Models.Mood + ":3", "--window", "generated");
        var promptOnly = LlamaSteerCli.Generate(Prompt, Tokens, "--vector", Models.Mood + ":3", "--window", "prompt");
        Assert.That(generatedOnly, Is.Not.EqualTo(promptOnly), "the windows steer different tokens");
        Assert.That(await Generate(new SteeringTerm(_mood, 3, Window: TokenWindow.Parse("generated"))), Is.EqualTo(generatedOnly));
        Assert.That(await Generate(new SteeringTerm(_mood, 3, Window: TokenWindow.Parse("prompt"))), Is.EqualTo(promptOnly));
    }

    [Test]
    public async Task AblateAndClampMatchLlamasteer()
    {
        var expected = LlamaSteerCli.Generate(Prompt, Tokens, "--ablate", Models.Mood + "@1-2", "--clamp", Models.Mood + ":4@4");
        Assert.That(expected, Is.Not.EqualTo(LlamaSteerCli.Generate(Prompt, Tokens)), "the plan changes llamasteer's text");
        var plan = await Generate(
            new SteeringTerm(_mood, 0, Layers("1-2"), SteeringOperator.Ablate),
            new SteeringTerm(_mood, 4, Layers("4"), SteeringOperator.Clamp));
        Assert.That(plan, Is.EqualTo(expected));
    }

    [Test]
    public async Task ClasMatchesLlamasteer()
    {
        var wanted = Path.Combine(Models.Folder, "wanted.txt");
        var unwanted = Path.Combine(Models.Folder, "unwanted.txt");
        File.WriteAllLines(wanted, ["Lily was so happy.", "Tim smiled and laughed.", "They were very glad.", "Sue felt sad and cried."]);
        File.WriteAllLines(unwanted, ["The sun was in the sky.", "Tim went to the park.", "Mom made a cake.", "The dog ran to the tree."]);
        var fit = LlamaSteerCli.Run("clas", "-m", Models.Path, "-t", "1", "--vector", Models.Mood, "--wanted", wanted, "--unwanted", unwanted, "--force");
        Assert.That(fit.ExitCode, Is.Zero, fit.Stderr);

        var expected = LlamaSteerCli.Generate(Prompt, Tokens, "--vector", Models.Mood + ":2", "--clas");
        Assert.That(expected, Is.Not.EqualTo(LlamaSteerCli.Generate(Prompt, Tokens, "--vector", Models.Mood + ":2")), "CLAS scales the strength");
        var clas = ClasParameters.Load(ClasParameters.PathBeside(Models.Mood), _mood);
        Assert.That(await Generate(clas.Term(_mood, 2)), Is.EqualTo(expected));
    }

    [Test]
    public async Task AStaticPlanGoesThroughTheControlVectorAndMatchesLlamasteer()
    {
        var expected = LlamaSteerCli.Generate(Prompt, Tokens, "--vector", Models.Mood + ":2@2-4");
        Assert.That(await Generate(new SteeringTerm(_mood, 2, Layers("2-4"))), Is.EqualTo(expected));
        // The control vector does not outlive the generation.
        Assert.That(await Generate(), Is.EqualTo(LlamaSteerCli.Generate(Prompt, Tokens)));
    }

    [Test]
    public async Task Layer0IsSteeredThroughTheCallback()
    {
        // Files cannot hold layer 0 and llama.cpp's control vector cannot reach it, so llamasteer has no command for this:
        // the check is that the callback steers l_out-0 at all, and only when asked to.
        var direction = _mood.Direction(1).ToArray();
        var layer0 = new SteeringVector(64, new Dictionary<int, float[]> { [0] = direction });
        var unsteered = await Generate();
        Assert.That(await Generate(new SteeringTerm(layer0, 40)), Is.Not.EqualTo(unsteered));
        Assert.That(await Generate(new SteeringTerm(layer0, 0)), Is.EqualTo(unsteered));
    }

    [Test]
    public async Task AFullContextEndsTheTextWhereLlamasteerEndsIt()
    {
        // 170 words of "Tim was happy." fill all but the last 29 positions of the context, and the story goes on past them.
        var prompt = string.Join(' ', Enumerable.Range(0, 170).Select(i => (i % 3) switch { 0 => "Tim", 1 => "was", _ => "happy." }));
        var cli = LlamaSteerCli.Run("generate", "-m", Models.Path, "-t", "1", "-c", Models.ContextSize.ToString(), "-p", prompt, "--temperature", "0",
            "-n", "60", "--vector", Models.Mood + ":2", "--window", "generated", "--stats");
        Assert.That(cli.ExitCode, Is.Zero, cli.Stderr);
        Assert.That(cli.Stderr, Does.Contain("stop: ContextFull"), "llamasteer ran into the end of the context");
        var text = new System.Text.StringBuilder(prompt);
        await foreach (var piece in _context.GenerateAsync(prompt, new SteeringPlan([new SteeringTerm(_mood, 2, Window: TokenWindow.Parse("generated"))]),
                           new LLama.Sampling.GreedySamplingPipeline(), 60))
            text.Append(piece);
        Assert.That(text + "\n", Is.EqualTo(cli.Stdout));
    }

    [Test]
    public async Task ADisposedContextRefusesToGenerate()
    {
        var context = SteeringContext.Create(Models.Weights, Models.Parameters);
        Assert.That(await Greedy.ThroughSteeringContext(context, Prompt, 4, SteeringPlan.None), Does.StartWith(Prompt));
        await context.DisposeAsync();
        context.Dispose();
        Assert.ThrowsAsync<ObjectDisposedException>(() => Greedy.ThroughSteeringContext(context, Prompt, 4, SteeringPlan.None));
    }

    [Test]
    public void AnInvalidPlanIsRefusedWithLlamasteersMessage()
    {
        var expected = LlamaSteerCli.Failure("generate", "-m", Models.Path, "-t", "1", "-c", Models.ContextSize.ToString(), "-p", Prompt,
            "--vector", Models.Mood + "@2", "--clamp", Models.Mood + ":1@2");
        var plan = new SteeringPlan([
            new SteeringTerm(_mood, 1, Layers("2")) { Name = Path.GetFileName(Models.Mood) },
            new SteeringTerm(_mood, 1, Layers("2"), SteeringOperator.Clamp) { Name = Path.GetFileName(Models.Mood) }]);
        var e = Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await foreach (var _ in _context.GenerateAsync(Prompt, plan, new LLama.Sampling.GreedySamplingPipeline(), Tokens)) { }
        });
        Assert.That(e!.Message, Is.EqualTo(expected));
    }
}
