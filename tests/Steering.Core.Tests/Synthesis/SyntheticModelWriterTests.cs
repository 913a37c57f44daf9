using LlamaSteer.Errors;
using LlamaSteer.Generation;
using LlamaSteer.Gguf;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Synthesis;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Synthesis;

/// <summary>Synthetic models written with the stories260K tokenizer, loaded and run by llama.cpp.</summary>
[TestFixture]
public class SyntheticModelWriterTests
{
    // Small enough to write and run in milliseconds; 600 tokens pads the donor's 512.
    private static readonly ModelShape Small = new(64, 2, 4, 2, 128, 600);

    private string _dir = null!;
    private GgufFile _donor = null!;

    [OneTimeSetUp] public void ReadDonor() => _donor = GgufFile.Read(TestPaths.Model);
    [SetUp] public void MakeDir() => _dir = TestPaths.NewTempDirectory();
    [TearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    private string Write(SyntheticModelSpec spec, string name = "model.gguf", IProgress<SynthesisProgress>? progress = null)
    {
        var path = Path.Combine(_dir, name);
        SyntheticModelWriter.Write(spec, _donor, path, progress);
        return path;
    }

    private static GenerationResult Generate(LlamaModel model)
    {
        using var context = model.CreateContext(new() { Threads = 1 });
        return new TextGenerator(context).Generate("Once upon a time", new() { MaxTokens = 8, Sampling = SamplingOptions.Greedy });
    }

    private static float[] PromptLogits(LlamaModel model)
    {
        using var context = model.CreateContext(new() { Threads = 1 });
        var batch = new TokenBatch();
        batch.AddSequence(model.Tokenize("Once upon a time, there was"), 0);
        context.Decode(batch);
        return context.CopyLogits(batch.Count - 1);
    }

    [TestCase(GgmlType.F32)]
    [TestCase(GgmlType.F16)]
    [TestCase(GgmlType.Q8_0)]
    [TestCase(GgmlType.Q4_0)]
    public void EachTypeLoadsWithTheRequestedShapeAndDecodes(GgmlType type)
    {
        var path = Write(new SyntheticModelSpec(Small) { WeightType = type, Seed = 7 });

        var file = GgufFile.Read(path);
        Assert.Multiple(() =>
        {
            foreach (var tensor in file.Tensors)
                Assert.That(tensor.Type, Is.EqualTo(tensor.Dimensions.Count == 1 ? GgmlType.F32 : type), tensor.Name);
            Assert.That(file.FindTensor("token_embd.weight")!.Dimensions, Is.EqualTo(new long[] { 64, 600 }));
            Assert.That(file.FindTensor("blk.1.attn_k.weight")!.Dimensions, Is.EqualTo(new long[] { 64, 32 }));
            Assert.That(file.FindTensor("blk.1.ffn_down.weight")!.Dimensions, Is.EqualTo(new long[] { 128, 64 }));
            Assert.That(file.FindTensor("output.weight")!.Dimensions, Is.EqualTo(new long[] { 64, 600 }));
            Assert.That(file.GetStringArray(DonorTokenizer.TokensKey), Has.Length.EqualTo(600));
        });

        using var model = LlamaModel.Load(path);
        Assert.Multiple(() =>
        {
            Assert.That(model.Info.Architecture, Is.EqualTo("llama"));
            Assert.That(model.Info.EmbeddingSize, Is.EqualTo(Small.EmbeddingSize));
            Assert.That(model.Info.LayerCount, Is.EqualTo(Small.LayerCount));
            Assert.That(model.Info.HeadCount, Is.EqualTo(Small.HeadCount));
            Assert.That(model.Info.KvHeadCount, Is.EqualTo(Small.KvHeadCount));
            Assert.That(model.Info.VocabularySize, Is.EqualTo(Small.VocabularySize));
            Assert.That(model.Info.TrainedContextLength, Is.EqualTo(ModelShape.DefaultContextLength));
            Assert.That(model.Info.ParameterCount, Is.EqualTo((ulong)file.Tensors.Sum(t => t.ElementCount)));
            Assert.That(model.Info.Name, Does.StartWith("synthetic ").And.EndWith(" seed 7"));
        });
        var logits = PromptLogits(model);
        Assert.That(logits, Has.Length.EqualTo(600));
        Assert.That(logits, Has.All.Matches<float>(float.IsFinite));
        Assert.That(Generate(model).Tokens, Is.Not.Empty);
    }

    [Test]
    public void ActivationsStayFiniteAndSpreadThroughManyLayers()
    {
        var path = Write(new SyntheticModelSpec(Small with { LayerCount = 24 }));

        using var model = LlamaModel.Load(path);
        var logits = PromptLogits(model);

        Assert.That(logits, Has.All.Matches<float>(float.IsFinite));
        var mean = logits.Average();
        var std = Math.Sqrt(logits.Average(l => (l - mean) * (l - mean)));
        // Unit-variance rows after the final norm and 1/sqrt(n_embd) output weights give logits of standard deviation about 1.
        Assert.That(std, Is.InRange(0.3, 3), "logits neither collapsed nor blown up");
    }

    [Test]
    public void TheSameSeedGivesTheSameBytesAndTheSameText()
    {
        var spec = new SyntheticModelSpec(Small) { WeightType = GgmlType.Q8_0, Seed = 42 };
        var first = Write(spec, "a.gguf");
        var second = Write(spec, "b.gguf");

        Assert.That(File.ReadAllBytes(second), Is.EqualTo(File.ReadAllBytes(first)));
        using var a = LlamaModel.Load(first);
        using var b = LlamaModel.Load(second);
        Assert.That(Generate(b).Tokens, Is.EqualTo(Generate(a).Tokens));
    }

    [Test]
    public void AnotherSeedGivesOtherWeightsInEveryMatrix()
    {
        var first = GgufFile.Read(Write(new SyntheticModelSpec(Small) { Seed = 1 }, "a.gguf"));
        var second = GgufFile.Read(Write(new SyntheticModelSpec(Small) { Seed = 2 }, "b.gguf"));

        Assert.Multiple(() =>
        {
            foreach (var tensor in first.Tensors)
            {
                var other = second.FindTensor(tensor.Name)!;
                if (tensor.Dimensions.Count == 1)
                    Assert.That(second.ReadTensorF32(other), Is.EqualTo(first.ReadTensorF32(tensor)).And.All.EqualTo(1f), $"{tensor.Name}: norms are 1");
                else
                    Assert.That(second.ReadTensorBytes(other), Is.Not.EqualTo(first.ReadTensorBytes(tensor)), tensor.Name);
            }
        });
    }

    [Test]
    public void MatricesHaveMeanZeroAndStandardDeviationOneOverTheRootOfTheirRowLength()
    {
        var file = GgufFile.Read(Write(new SyntheticModelSpec(Small)));

        Assert.Multiple(() =>
        {
            foreach (var name in new[] { "token_embd.weight", "blk.0.attn_q.weight", "blk.1.ffn_down.weight" })
            {
                var tensor = file.FindTensor(name)!;
                var values = file.ReadTensorF32(tensor);
                var mean = values.Average();
                var std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
                var expected = 1 / Math.Sqrt(tensor.Dimensions[0]);
                Assert.That(mean, Is.EqualTo(0).Within(expected * 0.05), name);
                Assert.That(std, Is.EqualTo(expected).Within(expected * 0.05), name);
            }
            Assert.That(file.ReadTensorF32(file.FindTensor("blk.0.attn_q.weight")!), Is.Not.EqualTo(file.ReadTensorF32(file.FindTensor("blk.1.attn_q.weight")!)),
                "each tensor has its own stream");
        });
    }

    [Test]
    public void TheDonorTokenizerIsCopiedAndPaddedWithUnusedPlaceholders()
    {
        var file = GgufFile.Read(Write(new SyntheticModelSpec(Small)));

        var donorTokens = _donor.GetStringArray(DonorTokenizer.TokensKey)!;
        var tokens = file.GetStringArray(DonorTokenizer.TokensKey)!;
        var types = (int[])file.Metadata[DonorTokenizer.TokenTypesKey].Value;
        var scores = (float[])file.Metadata[DonorTokenizer.ScoresKey].Value;
        Assert.Multiple(() =>
        {
            Assert.That(tokens.Take(donorTokens.Length), Is.EqualTo(donorTokens));
            Assert.That(tokens.Skip(donorTokens.Length), Is.Unique.And.All.Match(@"^<pad_\d{6}>$"));
            Assert.That(tokens[donorTokens.Length], Is.EqualTo($"<pad_{donorTokens.Length:D6}>"));
            Assert.That(types.Take(donorTokens.Length), Is.EqualTo((int[])_donor.Metadata[DonorTokenizer.TokenTypesKey].Value));
            Assert.That(types.Skip(donorTokens.Length), Is.All.EqualTo(DonorTokenizer.UnusedTokenType));
            Assert.That(scores, Has.Length.EqualTo(600));
            Assert.That(scores.Skip(donorTokens.Length), Is.All.Zero);
            foreach (var (key, value) in _donor.Metadata.Where(e => e.Key.StartsWith("tokenizer.") && !e.Value.IsArray))
                Assert.That(file.Metadata[key], Is.EqualTo(value), key);
        });
        using var model = LlamaModel.Load(file.FilePath);
        var original = SharedModel.Model;
        Assert.That(model.Tokenize("Once upon a time, Lily was happy."), Is.EqualTo(original.Tokenize("Once upon a time, Lily was happy.")));
    }

    [Test]
    public void AVocabularyTheSizeOfTheDonorsNeedsNoPadding()
    {
        var file = GgufFile.Read(Write(new SyntheticModelSpec(Small with { VocabularySize = 512 })));

        Assert.That(file.GetStringArray(DonorTokenizer.TokensKey), Is.EqualTo(_donor.GetStringArray(DonorTokenizer.TokensKey)));
        using var model = LlamaModel.Load(file.FilePath);
        Assert.That(model.VocabularySize, Is.EqualTo(512));
    }

    [Test]
    public void TiedEmbeddingsLeaveOutTheOutputMatrixAndStillDecode()
    {
        var path = Write(new SyntheticModelSpec(Small) { WeightType = GgmlType.Q4_0, TiedEmbeddings = true });

        Assert.That(GgufFile.Read(path).FindTensor("output.weight"), Is.Null);
        using var model = LlamaModel.Load(path);
        Assert.That(PromptLogits(model), Has.All.Matches<float>(float.IsFinite));
    }

    [Test]
    public void ProgressReachesEveryTensorAndEveryByte()
    {
        var reports = new List<SynthesisProgress>();
        var path = Write(new SyntheticModelSpec(Small), progress: new Collect(reports));

        var file = GgufFile.Read(path);
        Assert.That(reports.Select(r => r.TensorName).Distinct(), Is.EqualTo(file.Tensors.Select(t => t.Name)));
        Assert.That(reports.Select(r => r.BytesWritten), Is.Ordered.Ascending);
        Assert.That(reports[^1], Is.EqualTo(new SynthesisProgress(file.Tensors.Count, file.Tensors.Count, "output.weight",
            file.Tensors.Sum(t => t.ByteSize), file.Tensors.Sum(t => t.ByteSize))));
    }

    private sealed class Collect(List<SynthesisProgress> reports) : IProgress<SynthesisProgress>
    {
        public void Report(SynthesisProgress value) => reports.Add(value);
    }

    [Test]
    public void CancellingWritesNothing()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var path = Path.Combine(_dir, "model.gguf");

        Assert.Throws<OperationCanceledException>(() => SyntheticModelWriter.Write(new SyntheticModelSpec(Small), _donor, path, null, cancelled.Token));
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.Empty);
    }

    [TestCase(64, 3, 2, 128, "not divisible by the head count 3")]
    [TestCase(64, 4, 3, 128, "not divisible by the KV head count 3")]
    [TestCase(64, 4, 2, 100, "n_ff 100 is not a multiple of 32, the block size of q8_0")]
    [TestCase(48, 4, 2, 128, "n_embd 48 is not a multiple of 32")]
    [TestCase(0, 4, 2, 128, "n_embd must be at least 1")]
    public void ShapesLlamaCppCannotBuildAreRefusedBeforeWriting(int embedding, int heads, int kvHeads, int feedForward, string problem)
    {
        var spec = new SyntheticModelSpec(new ModelShape(embedding, 2, heads, kvHeads, feedForward, 600)) { WeightType = GgmlType.Q8_0 };

        var error = Assert.Throws<ModelSynthesisException>(() => Write(spec))!;

        Assert.That(error.Message, Does.Contain(problem));
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.Empty);
    }

    [Test]
    public void RowLengthsNeedWholeBlocksOnlyForQuantizedTypes()
    {
        var shape = new ModelShape(48, 2, 4, 2, 100, 600);

        Assert.That(shape.Problems(GgmlType.F16), Is.Empty);
        Assert.That(shape.Problems(GgmlType.Q4_0), Has.Count.EqualTo(2));
        using var model = LlamaModel.Load(Write(new SyntheticModelSpec(shape) { WeightType = GgmlType.F16 }));
        Assert.That(model.EmbeddingSize, Is.EqualTo(48));
    }

    [Test]
    public void AVocabularySmallerThanTheDonorsIsRefused()
    {
        var error = Assert.Throws<ModelSynthesisException>(() => Write(new SyntheticModelSpec(Small with { VocabularySize = 500 })))!;

        Assert.That(error.Message, Does.Contain("vocabulary size 500 is smaller than the 512 tokens").And.Contain("stories260K.gguf"));
    }

    [Test]
    public void ADonorWithoutAVocabularyIsRefused()
    {
        var donorPath = Path.Combine(_dir, "no-vocab.gguf");
        new GgufWriter().SetString("general.architecture", "llama").WriteTo(donorPath);

        var error = Assert.Throws<ModelSynthesisException>(() =>
            SyntheticModelWriter.Write(new SyntheticModelSpec(Small), GgufFile.Read(donorPath), Path.Combine(_dir, "model.gguf")))!;

        Assert.That(error.Message, Does.Contain("no token list"));
        Assert.That(File.Exists(Path.Combine(_dir, "model.gguf")), Is.False);
    }

    [Test]
    public void TypesOtherThanTheFourAreRefused()
    {
        var error = Assert.Throws<ModelSynthesisException>(() => Write(new SyntheticModelSpec(new ModelShape(256, 1, 4, 4, 256, 600)) { WeightType = GgmlType.Q4_K }))!;

        Assert.That(error.Message, Does.Contain("q4_K").And.Contain("f32, f16, q8_0, q4_0"));
    }
}
