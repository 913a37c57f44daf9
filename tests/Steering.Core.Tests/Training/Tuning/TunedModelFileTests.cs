using LlamaSteer.Gguf;
using LlamaSteer.Models;
using LlamaSteer.Testing;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Methods.Clas;
using LlamaSteer.Training.Methods.Tuning;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Training.Tuning;

/// <summary>
/// The file a tuning run writes, on a synthesized q8_0 model: tuned tensors re-quantized to q8_0 (and equal to the tuned
/// weights up to q8_0's rounding), every other tensor and metadata entry byte for byte, the run recorded under
/// <c>llamasteer.tuned.*</c>, and the copy loads and decodes in LlamaSteer.
/// </summary>
[TestFixture]
public class TunedModelFileTests
{
    private string _dir = null!;

    [SetUp] public void MakeDir() => _dir = TestPaths.NewTempDirectory();
    [TearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    [Test]
    public void RequantizedCopyKeepsEveryUntouchedTensorByteForByte()
    {
        var source = LlamaCppReference.Synthesize(_dir, GgmlType.Q8_0);
        var output = Path.Combine(_dir, "tuned.gguf");
        var vector = new SteeringVector(64, new Dictionary<int, float[]> { [1] = LlamaCppReference.RandomVector(64, 5, 1f), [2] = LlamaCppReference.RandomVector(64, 6, 1f) });
        TuningResult result;
        IReadOnlyList<CompletionExample> examples;
        using (var model = LlamaModel.Load(source))
            examples = CompletionDataset.Load(Path.Combine(TestPaths.RepoRoot, "vectors", "datasets", "clas", "happy-completions.train.jsonl")).Tokenize(model).Take(6).ToList();
        using (var weights = ModelWeights.Load(source))
            result = RepresentationTuner.Tune(GgufFile.Read(source), weights, vector, examples, [],
                new TuningOptions { Layers = [1, 2], Tensors = ["ffn_down", "attn_q"], Epochs = 1, GradientAccumulation = 2, LearningRate = 1e-2f }, output);

        var before = GgufFile.Read(source);
        var after = GgufFile.Read(output);
        var tuned = new[] { "blk.1.ffn_down.weight", "blk.1.attn_q.weight", "blk.2.ffn_down.weight", "blk.2.attn_q.weight" };
        Assert.That(result.WrittenTypes.Keys, Is.EquivalentTo(tuned));
        Assert.That(after.Tensors.Select(t => t.Name), Is.EqualTo(before.Tensors.Select(t => t.Name)), "same tensors in the same order");
        foreach (var t in before.Tensors)
        {
            var copy = after.FindTensor(t.Name)!;
            Assert.That(copy.Type, Is.EqualTo(t.Type), t.Name);
            Assert.That(copy.Dimensions, Is.EqualTo(t.Dimensions), t.Name);
            if (tuned.Contains(t.Name)) Assert.That(after.ReadTensorBytes(copy), Is.Not.EqualTo(before.ReadTensorBytes(t)), $"{t.Name} was tuned");
            else Assert.That(after.ReadTensorBytes(copy), Is.EqualTo(before.ReadTensorBytes(t)), $"{t.Name} is untouched");
        }
        foreach (var (key, value) in before.Metadata)
            Assert.That(after.Metadata[key].ToString(), Is.EqualTo(value.ToString()), key);
        Assert.That(after.GetString("llamasteer.tuned.mode"), Is.EqualTo("in"));
        Assert.That(after.GetString("llamasteer.tuned.tensors"), Is.EqualTo("ffn_down,attn_q"));
        Assert.That(after.GetString("llamasteer.tuned.vector"), Is.EqualTo(VectorFingerprint.Of(vector)));

        // Read back through ggml: a changed matrix, but a small change of it (AdamW moves each weight by about lr per step).
        using (var written = ModelWeights.Load(output))
        using (var sourceWeights = ModelWeights.Load(source))
        using (var runner = new GraphRunner(1))
        {
            var back = FrozenMatrices.Read(written, runner, 2, "ffn_down").Frozen;
            var original = FrozenMatrices.Read(sourceWeights, runner, 2, "ffn_down").Frozen;
            Assert.That(back, Is.Not.EqualTo(original));
            Assert.That(back.Zip(original).Max(p => Math.Abs(p.First - p.Second)), Is.LessThan(0.5), "the update stays a small change of the weights");
        }
        Assert.That(double.IsFinite(result.Written.Token - result.After.Token), "the re-quantization cost is measured");

        using var loaded = LlamaModel.Load(output);
        using var context = loaded.CreateContext(new Inference.ContextOptions { Threads = 1, ContextSize = 64 });
        using var lease = context.Acquire();
        var batch = new Inference.TokenBatch();
        var tokens = loaded.Tokenize("Once upon a time");
        for (var i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, 0, output: i == tokens.Length - 1);
        Assert.That(lease.Decode(batch), Is.EqualTo(Native.SafeHandles.DecodeStatus.Ok));
        Assert.That(lease.Logits(tokens.Length - 1).ToArray(), Has.All.Matches<float>(float.IsFinite));
    }
}
