using System.Text.RegularExpressions;
using System.CommandLine;
using LlamaSteer.Generation;
using LlamaSteer.Gguf;
using LlamaSteer.GgufTools.Commands;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Synthesis;
using LlamaSteer.Testing;
using NUnit.Framework;

namespace LlamaSteer.GgufTools.Tests;

/// <summary>gguf-tools synth, run in-process through System.CommandLine with captured writers.</summary>
public sealed class SynthTests
{
    // A small shape; vocab 600 pads the 512 tokens of the default donor, stories260K.
    private static readonly string[] SmallShape = ["--n-embd", "64", "--layers", "2", "--heads", "4", "--kv-heads", "2", "--n-ff", "128", "--vocab", "600"];

    private string _folder = "";

    [SetUp]
    public void CreateFolder() => _folder = TestPaths.NewTempDirectory();

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private string OutputPath => Path.Combine(_folder, "model.gguf");

    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(SynthCommand.Create());
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    private (int ExitCode, string Output, string Error) Synth(params string[] args) => Run(["synth", .. args, "-o", OutputPath]);

    private static IReadOnlyList<int> GreedyTokens(string path)
    {
        using var model = LlamaModel.Load(path);
        using var context = model.CreateContext(new() { Threads = 1 });
        return new TextGenerator(context).Generate("Once upon a time", new() { MaxTokens = 8, Sampling = SamplingOptions.Greedy }).Tokens;
    }

    [TestCase("f32", GgmlType.F32)]
    [TestCase("f16", GgmlType.F16)]
    [TestCase("q8_0", GgmlType.Q8_0)]
    [TestCase("Q4_0", GgmlType.Q4_0)]
    public void WritesAModelOfTheAskedShapeAndTypeThatLlamaCppRuns(string typeName, GgmlType type)
    {
        var (exitCode, output, error) = Synth([.. SmallShape, "--type", typeName]);

        Assert.That(exitCode, Is.Zero, error);
        Assert.That(output, Does.StartWith($"wrote {OutputPath} (n_embd 64, 2 layers, 4/2 heads, n_ff 128, vocab 600, context 2048, {GgmlTypeInfo.Name(type)} weights, seed 1): 21 tensors"));
        Assert.That(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.All.StartsWith("synth: tensor ").And.Some.StartsWith("synth: tensor 21/21 (output.weight)"));
        var file = GgufFile.Read(OutputPath);
        Assert.That(file.FindTensor("blk.0.ffn_up.weight")!.Type, Is.EqualTo(type));
        Assert.That(file.FindTensor("token_embd.weight")!.Type, Is.EqualTo(type));
        Assert.That(file.FindTensor("blk.0.ffn_norm.weight")!.Type, Is.EqualTo(GgmlType.F32));
        using (var model = LlamaModel.Load(OutputPath))
        {
            Assert.That(model.Info.EmbeddingSize, Is.EqualTo(64));
            Assert.That(model.Info.LayerCount, Is.EqualTo(2));
            Assert.That(model.Info.HeadCount, Is.EqualTo(4));
            Assert.That(model.Info.KvHeadCount, Is.EqualTo(2));
            Assert.That(model.Info.VocabularySize, Is.EqualTo(600));
        }
        Assert.That(GreedyTokens(OutputPath), Is.Not.Empty);
    }

    [Test]
    public void TheSeedDecidesTheBytesAndTheGeneratedTokens()
    {
        var first = Path.Combine(_folder, "first.gguf");
        var again = Path.Combine(_folder, "again.gguf");
        var other = Path.Combine(_folder, "other.gguf");

        Assert.That(Run(["synth", .. SmallShape, "--type", "q8_0", "--seed", "5", "-o", first]).ExitCode, Is.Zero);
        Assert.That(Run(["synth", .. SmallShape, "--type", "q8_0", "--seed", "5", "-o", again]).ExitCode, Is.Zero);
        Assert.That(Run(["synth", .. SmallShape, "--type", "q8_0", "--seed", "6", "-o", other]).ExitCode, Is.Zero);

        Assert.That(File.ReadAllBytes(again), Is.EqualTo(File.ReadAllBytes(first)));
        Assert.That(GreedyTokens(again), Is.EqualTo(GreedyTokens(first)));
        var a = GgufFile.Read(first);
        var b = GgufFile.Read(other);
        Assert.That(b.ReadTensorBytes(b.FindTensor("token_embd.weight")!), Is.Not.EqualTo(a.ReadTensorBytes(a.FindTensor("token_embd.weight")!)));
        Assert.That(a.GetString("general.name"), Does.EndWith("seed 5"));
    }

    [Test]
    public void APresetGivesItsShapeAndNameAndExplicitDimensionsOverrideIt()
    {
        var (exitCode, _, error) = Synth("--preset", "smollm2-135m", "--layers", "1", "--type", "q4_0", "--tied-embeddings");

        Assert.That(exitCode, Is.Zero, error);
        var file = GgufFile.Read(OutputPath);
        Assert.Multiple(() =>
        {
            Assert.That(file.GetInt64("llama.embedding_length"), Is.EqualTo(576));
            Assert.That(file.GetInt64("llama.block_count"), Is.EqualTo(1));
            Assert.That(file.GetInt64("llama.attention.head_count"), Is.EqualTo(9));
            Assert.That(file.GetInt64("llama.attention.head_count_kv"), Is.EqualTo(3));
            Assert.That(file.GetInt64("llama.feed_forward_length"), Is.EqualTo(1536));
            Assert.That(file.GetInt64("llama.rope.dimension_count"), Is.EqualTo(64));
            Assert.That(file.GetStringArray("tokenizer.ggml.tokens"), Has.Length.EqualTo(49152));
            Assert.That(file.FindTensor("output.weight"), Is.Null);
            Assert.That(file.GetString("general.name"), Does.StartWith("synthetic n_embd 576, 1 layers"), "a changed preset is named by its shape");
        });
    }

    [Test]
    public void AnUnchangedPresetKeepsItsName()
    {
        var request = new SynthRequest { Preset = "qwen2.5-0.5b", Seed = 3 };

        Assert.That(request.TryResolve(out var spec, out _), Is.True);
        Assert.That(spec!.EffectiveName, Is.EqualTo("synthetic qwen2.5-0.5b seed 3"));
        Assert.That(spec.Shape, Is.EqualTo(new ModelShape(896, 24, 14, 2, 4864, 151936)));
    }

    [Test]
    public void TheTokenizerComesFromTheDonorGiven()
    {
        var donor = Path.Combine(_folder, "donor.gguf");
        Assert.That(Run(["synth", .. SmallShape, "-o", donor]).ExitCode, Is.Zero);

        var (exitCode, _, error) = Synth("--n-embd", "64", "--layers", "1", "--heads", "2", "--n-ff", "64", "--vocab", "700", "--vocab-from", donor);

        Assert.That(exitCode, Is.Zero, error);
        var tokens = GgufFile.Read(OutputPath).GetStringArray("tokenizer.ggml.tokens")!;
        Assert.That(tokens.Take(600), Is.EqualTo(GgufFile.Read(donor).GetStringArray("tokenizer.ggml.tokens")));
        Assert.That(tokens, Has.Length.EqualTo(700).And.Unique);
    }

    [TestCase(new[] { "--preset", "gpt-5" }, "unknown --preset 'gpt-5'; use smollm2-135m, qwen2.5-0.5b, llama-3.2-1b")]
    [TestCase(new[] { "--n-embd", "64", "--layers", "2", "--heads", "3", "--n-ff", "128", "--vocab", "600" }, "n_embd 64 is not divisible by the head count 3")]
    [TestCase(new[] { "--n-embd", "64", "--layers", "2", "--heads", "4", "--kv-heads", "3", "--n-ff", "128", "--vocab", "600" }, "the head count 4 is not divisible by the KV head count 3")]
    [TestCase(new[] { "--n-embd", "64", "--layers", "2", "--heads", "4", "--n-ff", "100", "--vocab", "600", "--type", "q8_0" }, "n_ff 100 is not a multiple of 32, the block size of q8_0")]
    [TestCase(new[] { "--n-embd", "80", "--layers", "2", "--heads", "4", "--n-ff", "128", "--vocab", "600", "--type", "q4_0" }, "n_embd 80 is not a multiple of 32, the block size of q4_0")]
    [TestCase(new[] { "--n-embd", "64", "--layers", "2", "--heads", "4", "--n-ff", "128", "--vocab", "500" }, "the vocabulary size 500 is smaller than the 512 tokens of the tokenizer donor")]
    [TestCase(new[] { "--n-embd", "64", "--heads", "4", "--n-ff", "128" }, "give --preset (smollm2-135m, qwen2.5-0.5b, llama-3.2-1b) or the dimensions; missing --layers, --vocab")]
    [TestCase(new[] { "--preset", "smollm2-135m", "--type", "q4_K" }, "unknown --type 'q4_K'; use f32, f16, q8_0, q4_0")]
    [TestCase(new[] { "--preset", "smollm2-135m", "--layers", "0" }, "the layer count must be at least 1, not 0")]
    public void BadInputIsOneLineAndExitCode2AndWritesNothing(string[] args, string problem)
    {
        var (exitCode, output, error) = Synth(args);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(output, Is.Empty);
        Assert.That(error.TrimEnd(), Does.Not.Contain('\n').And.StartWith("gguf-tools: ").And.Contain(problem).IgnoreCase);
        Assert.That(Directory.GetFileSystemEntries(_folder), Is.Empty);
    }

    [Test]
    public void AMissingDonorIsNamed()
    {
        var donor = Path.Combine(_folder, "absent.gguf");

        var (exitCode, _, error) = Synth([.. SmallShape, "--vocab-from", donor]);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error.TrimEnd(), Is.EqualTo($"gguf-tools: {donor}: no such file"));
    }

    [Test]
    public void ADonorThatIsNotGgufIsNamed()
    {
        var donor = Path.Combine(AppContext.BaseDirectory, "gguf-tools.dll");

        var (exitCode, _, error) = Synth([.. SmallShape, "--vocab-from", donor]);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error.TrimEnd(), Does.StartWith($"gguf-tools: {donor}: not a GGUF file"));
    }

    [Test]
    public void AMissingOutputFolderIsNamed()
    {
        var output = Path.Combine(_folder, "no-such-folder", "model.gguf");

        var (exitCode, _, error) = Run(["synth", .. SmallShape, "-o", output]);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(error.TrimEnd(), Is.EqualTo($"gguf-tools: {output}: the folder {Path.GetDirectoryName(output)} does not exist"));
    }

    [Test]
    public void AMissingOutputOptionIsAUsageError()
    {
        var (exitCode, _, error) = Run(["synth", .. SmallShape]);

        Assert.That(exitCode, Is.EqualTo(1));
        Assert.That(error, Does.Contain("--output"));
    }

    [Test]
    public void AModelOfPetabytesIsRefusedBeforeWriting()
    {
        // n_embd 65536 x 512 layers x n_ff 262144 in f32: about 2.8 PB.
        var (exitCode, _, error) = Run(["synth", "--n-embd", "65536", "--layers", "512", "--heads", "512", "--n-ff", "262144", "--vocab", "600", "-o", OutputPath]);

        Assert.That(exitCode, Is.EqualTo(2), error);
        Assert.That(error.TrimEnd(), Does.Match($"^gguf-tools: {Regex.Escape(OutputPath)} would take [\\d,.]+ GiB, more than the 64.0 GiB this tool writes\\.$"));
        Assert.That(File.Exists(OutputPath), Is.False);
        Assert.That(Directory.GetFiles(_folder), Is.Empty, "a temporary file was left");
    }

    [Test]
    public void TheOutputMayNotBeTheDonor()
    {
        var donor = Path.Combine(_folder, "donor.gguf");
        File.Copy(TestPaths.Model, donor);
        var before = File.ReadAllBytes(donor);

        var (exitCode, _, error) = Run(["synth", .. SmallShape, "--vocab-from", donor, "-o", donor]);

        Assert.That(exitCode, Is.EqualTo(1), error);
        Assert.That(error.TrimEnd(), Is.EqualTo($"gguf-tools: --output {donor} is the --vocab-from input {donor}; an output never replaces an input: write elsewhere."));
        Assert.That(File.ReadAllBytes(donor), Is.EqualTo(before));
    }
}
