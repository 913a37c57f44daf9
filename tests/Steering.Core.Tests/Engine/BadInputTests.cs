using LlamaSteer.Errors;
using LlamaSteer.Generation;
using LlamaSteer.Gguf;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Engine;

/// <summary>Bad files, prompts and options give typed errors that name the problem, before any native code runs on them.</summary>
[TestFixture]
public class BadInputTests
{
    private string _dir = null!;

    [SetUp] public void MakeDir() => _dir = TestPaths.NewTempDirectory();
    [TearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    private static ModelLoadException LoadFails(string path) => Assert.Throws<ModelLoadException>(() => LlamaModel.Load(path))!;

    [Test]
    public void MissingFile() => Assert.That(LoadFails(Path.Combine(_dir, "nope.gguf")).Message, Does.Contain("Model file not found"));

    [Test]
    public void Folder() => Assert.That(LoadFails(_dir).Message, Does.Contain("is a folder"));

    [Test]
    public void NotGguf()
    {
        var path = Path.Combine(_dir, "model.gguf");
        File.WriteAllBytes(path, "PK\u0003\u0004 a zip file"u8.ToArray());
        Assert.That(LoadFails(path).Message, Does.Contain("not a GGUF file"));
    }

    [TestCase(0.5)]
    [TestCase(0.99)]
    [TestCase(0.01)]
    public void TruncatedModel(double keep)
    {
        var path = Path.Combine(_dir, "truncated.gguf");
        var bytes = File.ReadAllBytes(TestPaths.Model);
        File.WriteAllBytes(path, bytes.AsSpan(0, (int)(bytes.Length * keep)).ToArray());
        Assert.That(LoadFails(path).Message, Does.Contain("truncated.gguf is not a usable GGUF model"));
    }

    [TestCase("mystery-arch", "does not support")]
    [TestCase("controlvector", "control-vector file")]
    [TestCase("bert", "encoder")]
    public void UnsupportedArchitecture(string arch, string mentions)
    {
        var path = Path.Combine(_dir, "odd.gguf");
        new GgufWriter().SetString("general.architecture", arch).AddTensor("direction.1", new float[64], 64).WriteTo(path);
        Assert.That(LoadFails(path).Message, Does.Contain($"'{arch}'").And.Contain(mentions));
    }

    [Test]
    public void ModelWithoutArchitecture()
    {
        var path = Path.Combine(_dir, "noarch.gguf");
        new GgufWriter().SetString("general.name", "x").AddTensor("t", new float[4], 4).WriteTo(path);
        Assert.That(LoadFails(path).Message, Does.Contain("no general.architecture"));
    }

    [Test]
    public void PromptsAndOptions()
    {
        var model = SharedModel.Model;
        using var ctx = model.CreateContext(new ContextOptions { Threads = 1, ContextSize = 256 });
        var gen = new TextGenerator(ctx);
        var greedy = new GenerationOptions { Sampling = SamplingOptions.Greedy };
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<ArgumentException>(() => gen.Generate("", greedy))!.Message, Does.Contain("The prompt is empty"));
            var longPrompt = string.Join(" ", Enumerable.Repeat("Once upon a time", 100));
            Assert.That(Assert.Throws<ContextOverflowException>(() => gen.Generate(longPrompt, greedy))!.Message, Does.Contain($"but the context holds {ctx.Size}"));
            Assert.Throws<ArgumentOutOfRangeException>(() => gen.Generate("Once", greedy with { MaxTokens = 0 }));
            Assert.Throws<ArgumentOutOfRangeException>(() => gen.Generate("Once", new GenerationOptions { Sampling = new SamplingOptions { Temperature = float.NaN } }));
            Assert.Throws<ArgumentOutOfRangeException>(() => gen.Generate("Once", new GenerationOptions { Sampling = new SamplingOptions { TopP = 0 } }));
            Assert.Throws<ArgumentOutOfRangeException>(() => gen.Generate("Once", new GenerationOptions { Sampling = new SamplingOptions { MinP = -0.1f } }));
            Assert.Throws<ArgumentOutOfRangeException>(() => gen.Generate("Once", new GenerationOptions { Sampling = new SamplingOptions { RepeatPenalty = float.PositiveInfinity } }));
            Assert.Throws<ArgumentException>(() => gen.Generate("Once", greedy with { StopStrings = [""] }));
            Assert.Throws<ArgumentOutOfRangeException>(() => model.CreateContext(new ContextOptions { Threads = 0 }));
            Assert.Throws<ArgumentException>(() => model.CreateContext(new ContextOptions { BatchSize = 4, MaxSequences = 8 }));
        });
        // Nothing above broke the context.
        Assert.That(gen.Generate("Once upon a time", greedy with { MaxTokens = 4 }).Tokens, Has.Count.EqualTo(4));
    }

    [Test]
    public void BatchOutsideTheContextIsRefusedBeforeDecoding()
    {
        var model = SharedModel.Model;
        using var ctx = model.CreateContext(new ContextOptions { Threads = 1, ContextSize = 256, MaxSequences = 2 });
        var b = new TokenBatch();
        b.Add(1, ctx.Size, 0);
        Assert.Throws<ContextOverflowException>(() => ctx.Decode(b));
        b.Clear();
        b.Add(1, 0, 5);
        Assert.That(Assert.Throws<ArgumentException>(() => ctx.Decode(b))!.Message, Does.Contain("Sequence 5 is out of range"));
        b.Clear();
        b.Add(model.VocabularySize, 0, 0);
        Assert.That(Assert.Throws<ArgumentException>(() => ctx.Decode(b))!.Message, Does.Contain("not in the vocabulary"));
    }
}
