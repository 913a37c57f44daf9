using System.Runtime.InteropServices;

namespace LlamaSteer.Inference;

/// <summary>
/// The one native evaluation callback (<c>cb_eval</c>). llama.cpp calls it on the thread that runs
/// llama_decode; it forwards to the context's active hook. Returning false in the "ask" phase means
/// "not interested"; returning false after a compute stops the graph, which only extraction may do.
/// </summary>
internal static unsafe class GraphHookDispatcher
{
    public static IntPtr Pointer => (IntPtr)(delegate* unmanaged<IntPtr, byte, IntPtr, byte>)&OnEval;

    [UnmanagedCallersOnly]
    private static byte OnEval(IntPtr tensor, byte ask, IntPtr userData)
    {
        InferenceContext? context = null;
        try
        {
            context = GCHandle.FromIntPtr(userData).Target as InferenceContext;
            var hook = context?.ActiveHook;
            if (hook is null) return ask != 0 ? (byte)0 : (byte)1;
            var t = new GraphTensor(tensor);
            return ask != 0
                ? (hook.Wants(t) ? (byte)1 : (byte)0)
                : (hook.OnComputed(t) ? (byte)1 : (byte)0);
        }
        catch (Exception e)
        {
            // Never unwind into native code: stop the graph and re-throw after llama_decode returns.
            context?.RecordHookError(e);
            return 0;
        }
    }
}
