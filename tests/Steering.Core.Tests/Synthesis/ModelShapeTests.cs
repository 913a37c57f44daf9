using LlamaSteer.Gguf;
using LlamaSteer.Synthesis;

namespace LlamaSteer.Core.Tests.Synthesis;

/// <summary>Shapes and presets, without native code.</summary>
[TestFixture]
public class ModelShapeTests
{
    [Test]
    public void EveryPresetCanBeBuiltInEveryWeightType()
    {
        foreach (var (name, shape) in ModelShape.Presets)
            foreach (var type in SyntheticModelSpec.WeightTypes)
                Assert.That(shape.Problems(type), Is.Empty, $"{name} in {GgmlTypeInfo.Name(type)}");
    }

    // Recorded external facts: the parameter counts Hugging Face reports for the safetensors of
    // HuggingFaceTB/SmolLM2-135M (134,515,008) and meta-llama/Llama-3.2-1B (1,235,814,400), both with tied embeddings
    // and no biases, so the llama tensors planned for the preset must add up to exactly the same.
    [TestCase("smollm2-135m", 134_515_008L)]
    [TestCase("llama-3.2-1b", 1_235_814_400L)]
    public void PresetsWithTiedEmbeddingsHaveTheParameterCountOfTheReleasedModel(string preset, long parameters)
    {
        var tensors = SyntheticModelWriter.Plan(new SyntheticModelSpec(ModelShape.Presets[preset]) { TiedEmbeddings = true });

        Assert.That(tensors.Sum(t => GgmlTypeInfo.ElementCount(t.Dimensions)), Is.EqualTo(parameters));
    }

    [Test]
    public void ThePlanFollowsLlamaCppsTensorNamesAndShapes()
    {
        var shape = new ModelShape(64, 2, 4, 2, 128, 600);

        var tensors = SyntheticModelWriter.Plan(new SyntheticModelSpec(shape) { WeightType = GgmlType.Q8_0 }).ToDictionary(t => t.Name);

        Assert.That(tensors, Has.Count.EqualTo(2 + 2 * 9 + 1));
        Assert.Multiple(() =>
        {
            Assert.That(tensors["token_embd.weight"].Dimensions, Is.EqualTo(new long[] { 64, 600 }));
            Assert.That(tensors["output.weight"].Dimensions, Is.EqualTo(new long[] { 64, 600 }));
            Assert.That(tensors["output_norm.weight"].Dimensions, Is.EqualTo(new long[] { 64 }));
            Assert.That(tensors["blk.1.attn_norm.weight"].Type, Is.EqualTo(GgmlType.F32));
            Assert.That(tensors["blk.1.attn_q.weight"].Dimensions, Is.EqualTo(new long[] { 64, 64 }));
            Assert.That(tensors["blk.1.attn_k.weight"].Dimensions, Is.EqualTo(new long[] { 64, shape.KvEmbeddingSize }));
            Assert.That(tensors["blk.1.attn_v.weight"].Dimensions, Is.EqualTo(new long[] { 64, 32 }));
            Assert.That(tensors["blk.1.attn_output.weight"].Dimensions, Is.EqualTo(new long[] { 64, 64 }));
            Assert.That(tensors["blk.1.ffn_gate.weight"].Dimensions, Is.EqualTo(new long[] { 64, 128 }));
            Assert.That(tensors["blk.1.ffn_up.weight"].Dimensions, Is.EqualTo(new long[] { 64, 128 }));
            Assert.That(tensors["blk.1.ffn_down.weight"].Dimensions, Is.EqualTo(new long[] { 128, 64 }));
            Assert.That(tensors["blk.1.ffn_down.weight"].Type, Is.EqualTo(GgmlType.Q8_0));
        });
    }

    [Test]
    public void EveryProblemIsNamedAtOnce()
    {
        var problems = new ModelShape(100, 600, 3, 2, 50, 600).Problems(GgmlType.Q4_0);

        Assert.That(problems, Has.Some.Contains("limit of 512"));
        Assert.That(problems, Has.Some.Contains("not divisible by the head count 3"));
        Assert.That(problems, Has.Some.Contains("not divisible by the KV head count 2"));
        Assert.That(problems, Has.Some.Contains("n_embd 100 is not a multiple of 32"));
        Assert.That(problems, Has.Some.Contains("n_ff 50 is not a multiple of 32"));
    }

    [Test]
    public void AnOddHeadSizeIsRefused()
    {
        Assert.That(new ModelShape(60, 1, 4, 4, 64, 600).Problems(GgmlType.F32), Has.One.Contains("odd"));
    }
}
