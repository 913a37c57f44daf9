using System.Runtime.InteropServices;

namespace LlamaSteer.Native.Interop;

// Imports from libggml-base: the tensor operations the training graphs use (ggml.h). Each returns a new node.
internal static unsafe partial class GgmlBaseNative
{
    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_add")]
    public static partial GgmlTensor* Add(IntPtr ctx, GgmlTensor* a, GgmlTensor* b);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_sub")]
    public static partial GgmlTensor* Sub(IntPtr ctx, GgmlTensor* a, GgmlTensor* b);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_mul")]
    public static partial GgmlTensor* Mul(IntPtr ctx, GgmlTensor* a, GgmlTensor* b);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_div")]
    public static partial GgmlTensor* Div(IntPtr ctx, GgmlTensor* a, GgmlTensor* b);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_sqr")]
    public static partial GgmlTensor* Sqr(IntPtr ctx, GgmlTensor* a);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_sqrt")]
    public static partial GgmlTensor* Sqrt(IntPtr ctx, GgmlTensor* a);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_log")]
    public static partial GgmlTensor* Log(IntPtr ctx, GgmlTensor* a);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_neg")]
    public static partial GgmlTensor* Neg(IntPtr ctx, GgmlTensor* a);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_abs")]
    public static partial GgmlTensor* Abs(IntPtr ctx, GgmlTensor* a);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_softplus")]
    public static partial GgmlTensor* Softplus(IntPtr ctx, GgmlTensor* a);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_scale")]
    public static partial GgmlTensor* Scale(IntPtr ctx, GgmlTensor* a, float s);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_sum")]
    public static partial GgmlTensor* Sum(IntPtr ctx, GgmlTensor* a);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_sum_rows")]
    public static partial GgmlTensor* SumRows(IntPtr ctx, GgmlTensor* a);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_repeat")]
    public static partial GgmlTensor* Repeat(IntPtr ctx, GgmlTensor* a, GgmlTensor* b);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_cont")]
    public static partial GgmlTensor* Cont(IntPtr ctx, GgmlTensor* a);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_reshape_2d")]
    public static partial GgmlTensor* Reshape2d(IntPtr ctx, GgmlTensor* a, long ne0, long ne1);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_reshape_3d")]
    public static partial GgmlTensor* Reshape3d(IntPtr ctx, GgmlTensor* a, long ne0, long ne1, long ne2);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_view_2d")]
    public static partial GgmlTensor* View2d(IntPtr ctx, GgmlTensor* a, long ne0, long ne1, nuint nb1, nuint offset);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_permute")]
    public static partial GgmlTensor* Permute(IntPtr ctx, GgmlTensor* a, int axis0, int axis1, int axis2, int axis3);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_get_rows")]
    public static partial GgmlTensor* GetRows(IntPtr ctx, GgmlTensor* a, GgmlTensor* b);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_rms_norm")]
    public static partial GgmlTensor* RmsNorm(IntPtr ctx, GgmlTensor* a, float eps);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_mul_mat")]
    public static partial GgmlTensor* MulMat(IntPtr ctx, GgmlTensor* a, GgmlTensor* b);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_soft_max_ext")]
    public static partial GgmlTensor* SoftMaxExt(IntPtr ctx, GgmlTensor* a, GgmlTensor* mask, float scale, float maxBias);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_rope_ext")]
    public static partial GgmlTensor* RopeExt(IntPtr ctx, GgmlTensor* a, GgmlTensor* positions, GgmlTensor* freqFactors, int nDims, int mode,
        int nCtxOrig, float freqBase, float freqScale, float extFactor, float attnFactor, float betaFast, float betaSlow);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_swiglu_split")]
    public static partial GgmlTensor* SwigluSplit(IntPtr ctx, GgmlTensor* a, GgmlTensor* b);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_cross_entropy_loss")]
    public static partial GgmlTensor* CrossEntropyLoss(IntPtr ctx, GgmlTensor* logits, GgmlTensor* labels);
}
