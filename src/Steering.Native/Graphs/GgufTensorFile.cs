using LlamaSteer.Native.Interop;

namespace LlamaSteer.Native.Graphs;

/// <summary>
/// The tensors of a GGUF file read into a plain ggml context (host memory, no repacked buffers: the backward pass's
/// out_prod needs plain data). Metadata is read elsewhere (the managed GGUF reader); this holds the weights only.
/// The returned context is owned by the caller.
/// </summary>
public static unsafe class GgufTensorFile
{
    /// <summary>Reads every tensor of <paramref name="path"/> into a new context.</summary>
    /// <exception cref="Runtime.NativeCallException">ggml could not read the file.</exception>
    public static SafeGgmlContextHandle Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Runtime.NativeRuntime.EnsureLoaded();
        IntPtr ctx = IntPtr.Zero;
        var gguf = GgmlBaseNative.GgufInitFromFile(path, new GgufInitParams { NoAlloc = 0, Ctx = (IntPtr)(&ctx) });
        if (gguf == IntPtr.Zero || ctx == IntPtr.Zero)
        {
            if (ctx != IntPtr.Zero) GgmlBaseNative.Free(ctx);
            if (gguf != IntPtr.Zero) GgmlBaseNative.GgufFree(gguf);
            throw Runtime.NativeCallException.From($"ggml could not read the tensors of {path}.");
        }
        GgmlBaseNative.GgufFree(gguf);
        return SafeGgmlContextHandle.Adopt(ctx);
    }
}
