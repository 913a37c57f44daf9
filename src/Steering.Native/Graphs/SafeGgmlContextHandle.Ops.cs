using LlamaSteer.Native.Interop;

namespace LlamaSteer.Native.Graphs;

// The graph operations, each a thin checked wrapper of the ggml function of the same name. ggml asserts (and aborts
// the process) on mismatched shapes, so callers (the graph builders) check shapes before they build.
public sealed unsafe partial class SafeGgmlContextHandle
{
    public GgmlTensorRef Add(GgmlTensorRef a, GgmlTensorRef b) => Result(GgmlBaseNative.Add(Raw, NotNull(a), NotNull(b)), "ggml_add");

    public GgmlTensorRef Sub(GgmlTensorRef a, GgmlTensorRef b) => Result(GgmlBaseNative.Sub(Raw, NotNull(a), NotNull(b)), "ggml_sub");

    /// <summary>Element-wise product; <paramref name="b"/> is broadcast over <paramref name="a"/>'s rows.</summary>
    public GgmlTensorRef Mul(GgmlTensorRef a, GgmlTensorRef b) => Result(GgmlBaseNative.Mul(Raw, NotNull(a), NotNull(b)), "ggml_mul");

    public GgmlTensorRef Div(GgmlTensorRef a, GgmlTensorRef b) => Result(GgmlBaseNative.Div(Raw, NotNull(a), NotNull(b)), "ggml_div");

    public GgmlTensorRef Sqr(GgmlTensorRef a) => Result(GgmlBaseNative.Sqr(Raw, NotNull(a)), "ggml_sqr");

    public GgmlTensorRef Sqrt(GgmlTensorRef a) => Result(GgmlBaseNative.Sqrt(Raw, NotNull(a)), "ggml_sqrt");

    public GgmlTensorRef Log(GgmlTensorRef a) => Result(GgmlBaseNative.Log(Raw, NotNull(a)), "ggml_log");

    public GgmlTensorRef Neg(GgmlTensorRef a) => Result(GgmlBaseNative.Neg(Raw, NotNull(a)), "ggml_neg");

    /// <summary>|x| element-wise (its backward is sign(x) times the incoming gradient).</summary>
    public GgmlTensorRef Abs(GgmlTensorRef a) => Result(GgmlBaseNative.Abs(Raw, NotNull(a)), "ggml_abs");

    /// <summary>log(1 + e^x); -log sigmoid(z) is Softplus(-z) (ggml has no sigmoid backward).</summary>
    public GgmlTensorRef Softplus(GgmlTensorRef a) => Result(GgmlBaseNative.Softplus(Raw, NotNull(a)), "ggml_softplus");

    public GgmlTensorRef Scale(GgmlTensorRef a, float s) => Result(GgmlBaseNative.Scale(Raw, NotNull(a), s), "ggml_scale");

    /// <summary>The sum of all elements, a scalar.</summary>
    public GgmlTensorRef Sum(GgmlTensorRef a) => Result(GgmlBaseNative.Sum(Raw, NotNull(a)), "ggml_sum");

    /// <summary>Each row's sum: [n, m] to [1, m].</summary>
    public GgmlTensorRef SumRows(GgmlTensorRef a) => Result(GgmlBaseNative.SumRows(Raw, NotNull(a)), "ggml_sum_rows");

    /// <summary><paramref name="a"/> repeated to the shape of <paramref name="like"/>.</summary>
    public GgmlTensorRef Repeat(GgmlTensorRef a, GgmlTensorRef like) => Result(GgmlBaseNative.Repeat(Raw, NotNull(a), NotNull(like)), "ggml_repeat");

    public GgmlTensorRef Cont(GgmlTensorRef a) => Result(GgmlBaseNative.Cont(Raw, NotNull(a)), "ggml_cont");

    public GgmlTensorRef Reshape(GgmlTensorRef a, long ne0, long ne1) => Result(GgmlBaseNative.Reshape2d(Raw, NotNull(a), ne0, ne1), "ggml_reshape_2d");

    public GgmlTensorRef Reshape(GgmlTensorRef a, long ne0, long ne1, long ne2) => Result(GgmlBaseNative.Reshape3d(Raw, NotNull(a), ne0, ne1, ne2), "ggml_reshape_3d");

    /// <summary>Rows <paramref name="firstRow"/>.. of a contiguous 2-D tensor, <paramref name="rows"/> of them, as a view.</summary>
    public GgmlTensorRef Rows(GgmlTensorRef a, long firstRow, long rows)
    {
        var p = NotNull(a);
        if (firstRow < 0 || rows < 1 || firstRow + rows > p->Ne[1]) throw new ArgumentOutOfRangeException(nameof(rows), $"rows {firstRow}..{firstRow + rows - 1} of {p->Ne[1]}");
        return Result(GgmlBaseNative.View2d(Raw, p, p->Ne[0], rows, (nuint)p->Nb[1], (nuint)((ulong)firstRow * p->Nb[1])), "ggml_view_2d");
    }

    public GgmlTensorRef Permute(GgmlTensorRef a, int axis0, int axis1, int axis2, int axis3) =>
        Result(GgmlBaseNative.Permute(Raw, NotNull(a), axis0, axis1, axis2, axis3), "ggml_permute");

    /// <summary>Rows of <paramref name="table"/> picked by the I32 <paramref name="ids"/> (token embedding lookup).</summary>
    public GgmlTensorRef GetRows(GgmlTensorRef table, GgmlTensorRef ids) => Result(GgmlBaseNative.GetRows(Raw, NotNull(table), NotNull(ids)), "ggml_get_rows");

    public GgmlTensorRef RmsNorm(GgmlTensorRef a, float eps) => Result(GgmlBaseNative.RmsNorm(Raw, NotNull(a), eps), "ggml_rms_norm");

    /// <summary><paramref name="weights"/> (any type, [k, m]) times <paramref name="x"/> ([k, n], F32): [m, n].</summary>
    public GgmlTensorRef MulMat(GgmlTensorRef weights, GgmlTensorRef x)
    {
        var w = NotNull(weights);
        var v = NotNull(x);
        if (w->Ne[0] != v->Ne[0]) throw new ArgumentException($"mul_mat: rows of {w->Ne[0]} against inputs of {v->Ne[0]}.");
        return Result(GgmlBaseNative.MulMat(Raw, w, v), "ggml_mul_mat");
    }

    /// <summary>softmax(a * scale + mask) per row; the mask needs no gradient.</summary>
    public GgmlTensorRef SoftMax(GgmlTensorRef a, GgmlTensorRef mask, float scale) =>
        Result(GgmlBaseNative.SoftMaxExt(Raw, NotNull(a), NotNull(mask), scale, 0f), "ggml_soft_max_ext");

    /// <summary>
    /// Rotary position embedding of <paramref name="a"/> [head_dim, heads, tokens] at the I32 <paramref name="positions"/>;
    /// <paramref name="freqFactors"/> may be a null reference.
    /// </summary>
    public GgmlTensorRef Rope(GgmlTensorRef a, GgmlTensorRef positions, GgmlTensorRef freqFactors, int dims, int mode, int contextOrig, float freqBase, float freqScale,
        float extFactor, float attnFactor, float betaFast, float betaSlow) =>
        Result(GgmlBaseNative.RopeExt(Raw, NotNull(a), NotNull(positions), freqFactors.IsNull ? null : freqFactors.Pointer, dims, mode, contextOrig, freqBase, freqScale, extFactor, attnFactor, betaFast, betaSlow), "ggml_rope_ext");

    /// <summary>silu(gate) * up, the split form that has a backward.</summary>
    public GgmlTensorRef SwigluSplit(GgmlTensorRef gate, GgmlTensorRef up) => Result(GgmlBaseNative.SwigluSplit(Raw, NotNull(gate), NotNull(up)), "ggml_swiglu_split");

    /// <summary>-sum(labels * log softmax(logits)) / rows, a scalar; labels may be soft.</summary>
    public GgmlTensorRef CrossEntropy(GgmlTensorRef logits, GgmlTensorRef labels) =>
        Result(GgmlBaseNative.CrossEntropyLoss(Raw, NotNull(logits), NotNull(labels)), "ggml_cross_entropy_loss");
}
