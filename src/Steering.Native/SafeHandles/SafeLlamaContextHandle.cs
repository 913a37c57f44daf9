using System.Runtime.InteropServices;
using LlamaSteer.Native.Interop;

namespace LlamaSteer.Native.SafeHandles;

/// <summary>
/// Owns a <c>llama_context</c> and keeps its model alive (DangerousAddRef) until the context is freed.
/// </summary>
public sealed class SafeLlamaContextHandle : SafeHandle
{
    private readonly SafeLlamaModelHandle? _model;

    private SafeLlamaContextHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal SafeLlamaContextHandle(IntPtr handle, SafeLlamaModelHandle model) : this()
    {
        var added = false;
        model.DangerousAddRef(ref added);
        _model = model;
        SetHandle(handle);
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LlamaNative.Free(handle);
        _model?.DangerousRelease();
        return true;
    }
}
