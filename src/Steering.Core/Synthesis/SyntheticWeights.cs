using System.Numerics;
using System.Text;

namespace LlamaSteer.Synthesis;

/// <summary>
/// Seeded pseudo-random weights that are the same on every machine and every run: only integer arithmetic
/// (SplitMix64, xoshiro256**, FNV-1a over the tensor name's UTF-8 bytes; never <c>string.GetHashCode</c>, which
/// is randomized per process) and one IEEE float multiply per value. Each row has its own generator, seeded from
/// the tensor and the row index, so rows can be generated in any order or in parallel with the same result.
/// Values are roughly normal (the Irwin-Hall sum of four uniform 16-bit draws), mean 0, with the standard
/// deviation asked for. Stateless and thread-safe.
/// </summary>
internal static class SyntheticWeights
{
    private const ulong Golden = 0x9E3779B97F4A7C15;

    // Four draws from 0..65535: mean 4 * 65535 / 2, variance 4 * (65536^2 - 1) / 12.
    private const int IrwinHallMean = 2 * 65535;
    private static readonly double IrwinHallStd = Math.Sqrt((65536.0 * 65536.0 - 1) / 3);

    /// <summary>The seed of one tensor's weights: the model seed mixed with a hash of the tensor's name.</summary>
    public static ulong TensorSeed(ulong modelSeed, string tensorName)
    {
        var hash = 0xCBF29CE484222325UL; // FNV-1a 64
        foreach (var b in Encoding.UTF8.GetBytes(tensorName))
        {
            hash ^= b;
            hash *= 0x100000001B3UL;
        }
        var state = modelSeed;
        var mixed = SplitMix64(ref state) ^ hash;
        return SplitMix64(ref mixed);
    }

    /// <summary>Fills <paramref name="values"/> with row <paramref name="row"/> of the tensor whose seed is <paramref name="tensorSeed"/>.</summary>
    public static void FillRow(ulong tensorSeed, long row, float standardDeviation, Span<float> values)
    {
        var splitMix = tensorSeed + (ulong)row * Golden;
        ulong s0 = SplitMix64(ref splitMix), s1 = SplitMix64(ref splitMix), s2 = SplitMix64(ref splitMix), s3 = SplitMix64(ref splitMix);
        var scale = (float)(standardDeviation / IrwinHallStd);
        for (var i = 0; i < values.Length; i++)
        {
            // xoshiro256** (Blackman and Vigna), inlined: this loop makes every weight of the model.
            var draw = BitOperations.RotateLeft(s1 * 5, 7) * 9;
            var t = s1 << 17;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = BitOperations.RotateLeft(s3, 45);

            var sum = (int)(draw & 0xFFFF) + (int)((draw >> 16) & 0xFFFF) + (int)((draw >> 32) & 0xFFFF) + (int)(draw >> 48);
            values[i] = (sum - IrwinHallMean) * scale;
        }
    }

    private static ulong SplitMix64(ref ulong state)
    {
        var z = state += Golden;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
