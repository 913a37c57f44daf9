using System.Runtime.InteropServices;

namespace LlamaSteer.Native.Interop;

internal static unsafe partial class LlamaNative
{
    /// <summary>
    /// Sets the context's control vector. <paramref name="data"/> holds n_embd floats per layer starting
    /// at layer 1 (data[(il-1)*n_embd] is added to l_out-il); null clears it.
    /// </summary>
    [LibraryImport(LibraryNames.Llama, EntryPoint = "llama_set_adapter_cvec")]
    public static partial int SetAdapterCvec(IntPtr ctx, float* data, nuint len, int nEmbd, int ilStart, int ilEnd);
}
