using LlamaSteer.Synthesis;

namespace LlamaSteer.Core.Tests.Synthesis;

/// <summary>The seeded generator, without native code.</summary>
[TestFixture]
public class SyntheticWeightsTests
{
    private static float[] Row(ulong seed, long row, int length = 4096, float std = 1f)
    {
        var values = new float[length];
        SyntheticWeights.FillRow(seed, row, std, values);
        return values;
    }

    [Test]
    public void ARowDependsOnlyOnItsSeedAndIndex()
    {
        var seed = SyntheticWeights.TensorSeed(1, "blk.0.attn_q.weight");
        var before = Row(seed, 5);
        Row(seed, 4);
        Row(seed, 6);

        Assert.That(Row(seed, 5), Is.EqualTo(before));
        Assert.That(Row(seed, 6), Is.Not.EqualTo(before));
    }

    [Test]
    public void TensorSeedsDifferByNameAndByModelSeedAndRepeatForBoth()
    {
        var names = Enumerable.Range(0, 30).Select(i => $"blk.{i}.ffn_up.weight").Append("token_embd.weight").Append("output.weight").ToArray();

        Assert.That(names.Select(n => SyntheticWeights.TensorSeed(1, n)), Is.Unique);
        Assert.That(names.Select(n => SyntheticWeights.TensorSeed(1, n)), Is.EqualTo(names.Select(n => SyntheticWeights.TensorSeed(1, n))));
        Assert.That(SyntheticWeights.TensorSeed(2, "output.weight"), Is.Not.EqualTo(SyntheticWeights.TensorSeed(1, "output.weight")));
        Assert.That(SyntheticWeights.TensorSeed(0, "output.weight"), Is.Not.EqualTo(SyntheticWeights.TensorSeed(0, "token_embd.weight")));
    }

    [Test]
    public void ValuesAreRoughlyNormalWithTheStandardDeviationAskedFor()
    {
        const float std = 0.125f;
        var values = Enumerable.Range(0, 64).SelectMany(r => Row(99, r, 4096, std)).Select(v => (double)v).ToArray();

        var mean = values.Average();
        var sd = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
        var withinOne = values.Count(v => Math.Abs(v - mean) < sd) / (double)values.Length;
        Assert.That(mean, Is.EqualTo(0).Within(0.01 * std));
        Assert.That(sd, Is.EqualTo(std).Within(0.01 * std));
        Assert.That(withinOne, Is.EqualTo(0.683).Within(0.02), "share within one standard deviation, as for a normal distribution");
        Assert.That(values.Max(Math.Abs), Is.LessThanOrEqualTo(Math.Sqrt(12) * std + 1e-6), "the sum of four uniforms is bounded");
    }
}
