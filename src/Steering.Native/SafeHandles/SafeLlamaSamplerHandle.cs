using System.Runtime.InteropServices;
using LlamaSteer.Native.Interop;

namespace LlamaSteer.Native.SafeHandles;

/// <summary>Owns a <c>llama_sampler</c> (a chain owns the samplers added to it).</summary>
public sealed class SafeLlamaSamplerHandle : SafeHandle
{
    private SafeLlamaSamplerHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal SafeLlamaSamplerHandle(IntPtr handle) : this() => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LlamaNative.SamplerFree(handle);
        return true;
    }
}
