using LLama;
using LLama.Batched;

namespace LlamaSteer.LLamaSharp.Tests;

/// <summary>
/// Control vectors on LLamaSharp's context, executor and batched executor give the greedy text that
/// <c>llamasteer generate --vector</c> prints for the same model, prompt and vectors; clearing gives the unsteered text back.
/// </summary>
[TestFixture]
public class StaticVectorTests
{
    private const string Prompt = "Tim felt";
    private const int Tokens = 24;

    private static string[] Specs => [Models.Mood + ":1.5", Models.Mood + ":1@2-3"];

    [Test]
    public async Task AnExecutorSteeredWithAVectorWritesWhatLlamasteerWrites()
    {
        var expected = LlamaSteerCli.Generate(Prompt, Tokens, "--vector", Specs[0], "--vector", Specs[1]);
        var unsteered = LlamaSteerCli.Generate(Prompt, Tokens);
        Assert.That(expected, Is.Not.EqualTo(unsteered), "the vectors change llamasteer's text");

        var vectors = ControlVectors.Load(Models.Weights, Specs);
        using (var context = Models.Weights.CreateContext(Models.Parameters))
        {
            var executor = new InteractiveExecutor(context);
            executor.ApplyControlVectors(vectors);
            Assert.That(await Greedy.ThroughExecutor(executor, Prompt, Tokens), Is.EqualTo(expected));
        }
        using (var context = Models.Weights.CreateContext(Models.Parameters))
        {
            context.ApplyControlVectors(vectors);
            context.ClearControlVectors();
            Assert.That(await Greedy.ThroughExecutor(new InteractiveExecutor(context), Prompt, Tokens), Is.EqualTo(unsteered), "clearing restores the unsteered text");
        }
    }

    [Test]
    public async Task ABatchedExecutorSteeredWithAVectorWritesWhatLlamasteerWrites()
    {
        var expected = LlamaSteerCli.Generate(Prompt, Tokens, "--vector", Specs[0], "--layers", "1-3");
        // Each conversation takes the next sequence id: room for two.
        var parameters = Models.Parameters;
        parameters.SeqMax = 2;
        using var executor = new BatchedExecutor(Models.Weights, parameters);
        executor.ApplyControlVectors(ControlVectors.Load(Models.Weights, [Specs[0]], layers: "1-3"));
        Assert.That(await Greedy.ThroughBatchedExecutor(executor, Prompt, Tokens), Is.EqualTo(expected));
        executor.ClearControlVectors();
        Assert.That(await Greedy.ThroughBatchedExecutor(executor, Prompt, Tokens), Is.EqualTo(LlamaSteerCli.Generate(Prompt, Tokens)));
    }

    [Test]
    public void VectorsForAnotherModelAreRefusedOnApply()
    {
        var vectors = ControlVectors.From([new Steering.VectorTerm(new Vectors.SteeringVector(32, new Dictionary<int, float[]> { [1] = new float[32] }), 1f)], 32, 5);
        using var context = Models.Weights.CreateContext(Models.Parameters);
        var e = Assert.Throws<ArgumentException>(() => context.ApplyControlVectors(vectors));
        Assert.That(e!.Message, Does.Contain("n_embd 32").And.Contain("n_embd 64"));
    }

    [Test]
    public void AStatelessExecutorIsRefusedWithTheReason()
    {
        var executor = new StatelessExecutor(Models.Weights, Models.Parameters);
        var e = Assert.Throws<NotSupportedException>(() => executor.ApplyControlVectors(ControlVectors.Load(Models.Weights, Specs)));
        Assert.That(e!.Message, Does.Contain("new context for every call"));
    }
}
