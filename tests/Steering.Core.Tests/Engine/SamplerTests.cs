using LlamaSteer.Sampling;

namespace LlamaSteer.Core.Tests.Engine;

/// <summary>
/// The sampler chain reuses one candidate array across tokens; every call must still see only the logits
/// it was given (top-k sorts that array in place, so a stale ordering would pick the wrong token).
/// </summary>
public class SamplerTests
{
    private static float[] Logits(int n, int peak)
    {
        var v = new float[n];
        for (var i = 0; i < n; i++) v[i] = (i % 97) / 97f;
        v[peak] = 10f;
        return v;
    }

    [Test]
    public void EachCallSamplesFromItsOwnLogits()
    {
        using var topK = new TokenSampler(new SamplingOptions { TopK = 1, Seed = 3 }, 50_000);
        using var greedy = new TokenSampler(SamplingOptions.Greedy, 50_000);
        foreach (var peak in new[] { 17, 49_000, 4_321, 17, 0 })
        {
            var logits = Logits(50_000, peak);
            Assert.That(topK.Sample(logits), Is.EqualTo(peak), "top-k 1");
            Assert.That(greedy.Sample(logits), Is.EqualTo(peak), "greedy");
        }
    }

    [Test]
    public void ARowOfAnotherLengthIsSampledWhole()
    {
        using var greedy = new TokenSampler(SamplingOptions.Greedy, 50_000);
        Assert.That(greedy.Sample(Logits(50_000, 40_000)), Is.EqualTo(40_000));
        Assert.That(greedy.Sample(Logits(300, 299)), Is.EqualTo(299));
        Assert.That(greedy.Sample(Logits(60_000, 59_999)), Is.EqualTo(59_999));
    }
}
