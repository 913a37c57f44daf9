using System.Runtime.InteropServices;
using LlamaSteer.Native.Interop;

namespace LlamaSteer.Native.SafeHandles;

/// <summary>Owns a <c>llama_model</c>. Contexts add a reference, so the model outlives them.</summary>
public sealed class SafeLlamaModelHandle : SafeHandle
{
    private SafeLlamaModelHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal SafeLlamaModelHandle(IntPtr handle) : this() => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LlamaNative.ModelFree(handle);
        return true;
    }
}
