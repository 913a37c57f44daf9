using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Graph;

namespace LlamaSteer.Training.Losses;

/// <summary>
/// Representation tuning's loss on one layer's hidden states: with c the cosine between each chosen position's
/// h and the direction v, the mean of (1 − c)/2 to tune the direction in (0 when aligned, 1 when opposed) or of |c|
/// to tune it out (0 when orthogonal). The cosine is built from mul, sum_rows, sqr, sqrt and div, and |c| from abs,
/// which all have backward passes in ggml (L2_NORM has none).
/// </summary>
public static class RepresentationLoss
{
    /// <summary>The cosine of each column of <paramref name="hidden"/> [n_embd, k] with the unit <paramref name="unitDirection"/> [n_embd]: [1, k].</summary>
    public static GgmlTensorRef Cosines(GraphStep step, GgmlTensorRef hidden, GgmlTensorRef unitDirection)
    {
        var g = step.Context;
        var dot = g.SumRows(g.Mul(hidden, unitDirection));
        var norm = g.Sqrt(g.SumRows(g.Sqr(hidden)));
        return g.Div(dot, norm);
    }

    /// <summary>The scalar loss of cosines [1, k]: mean (1 − c)/2 when <paramref name="tuneIn"/>, else mean |c|.</summary>
    public static GgmlTensorRef FromCosines(GraphStep step, GgmlTensorRef cosines, bool tuneIn, string tag = "")
    {
        var g = step.Context;
        var k = cosines.ElementCount;
        if (!tuneIn) return g.Scale(g.Sum(g.Abs(cosines)), 1f / k).Named($"repr_out{tag}");
        var half = step.Constant($"half{tag}", [0.5f], 1);
        return g.Add(g.Scale(g.Sum(cosines), -0.5f / k), half).Named($"repr_in{tag}");
    }
}
