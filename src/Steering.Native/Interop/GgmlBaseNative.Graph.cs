using System.Runtime.InteropServices;

namespace LlamaSteer.Native.Interop;

// Imports from libggml-base for building and differentiating graphs (ggml.h: context, tensors, graph, backward).
internal static unsafe partial class GgmlBaseNative
{
    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_init")]
    public static partial IntPtr Init(GgmlInitParams parameters);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_free")]
    public static partial void Free(IntPtr ctx);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_tensor_overhead")]
    public static partial nuint TensorOverhead();

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_graph_overhead_custom")]
    public static partial nuint GraphOverheadCustom(nuint size, [MarshalAs(UnmanagedType.U1)] bool grads);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_new_tensor")]
    public static partial GgmlTensor* NewTensor(IntPtr ctx, int type, int nDims, long* ne);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_get_tensor", StringMarshalling = StringMarshalling.Utf8)]
    public static partial GgmlTensor* GetTensor(IntPtr ctx, string name);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_get_first_tensor")]
    public static partial GgmlTensor* GetFirstTensor(IntPtr ctx);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_get_next_tensor")]
    public static partial GgmlTensor* GetNextTensor(IntPtr ctx, GgmlTensor* tensor);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_set_name", StringMarshalling = StringMarshalling.Utf8)]
    public static partial GgmlTensor* SetName(GgmlTensor* tensor, string name);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_nbytes")]
    public static partial nuint NBytes(GgmlTensor* tensor);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_set_param")]
    public static partial void SetParam(GgmlTensor* tensor);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_set_loss")]
    public static partial void SetLoss(GgmlTensor* tensor);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_set_input")]
    public static partial void SetInput(GgmlTensor* tensor);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_set_output")]
    public static partial void SetOutput(GgmlTensor* tensor);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_new_graph_custom")]
    public static partial IntPtr NewGraphCustom(IntPtr ctx, nuint size, [MarshalAs(UnmanagedType.U1)] bool grads);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_build_forward_expand")]
    public static partial void BuildForwardExpand(IntPtr graph, GgmlTensor* tensor);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_build_backward_expand")]
    public static partial void BuildBackwardExpand(IntPtr ctx, IntPtr graph, GgmlTensor** gradAccs);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_graph_reset")]
    public static partial void GraphReset(IntPtr graph);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_graph_get_grad")]
    public static partial GgmlTensor* GraphGetGrad(IntPtr graph, GgmlTensor* node);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_graph_n_nodes")]
    public static partial int GraphNodeCount(IntPtr graph);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_graph_node")]
    public static partial GgmlTensor* GraphNode(IntPtr graph, int i);

    [LibraryImport(LibraryNames.GgmlBase, EntryPoint = "ggml_op_name")]
    public static partial byte* OpName(int op);
}
