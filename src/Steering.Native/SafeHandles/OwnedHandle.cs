using System.Runtime.InteropServices;

namespace LlamaSteer.Native.SafeHandles;

/// <summary>
/// Base of LlamaSteer's owned native objects: a SafeHandle that also knows it was disposed while
/// dependents still hold a reference (a context keeps its model alive), so every member can refuse
/// use after Dispose with ObjectDisposedException even before the native free happens.
/// </summary>
public abstract class OwnedHandle : SafeHandle
{
    private volatile bool _disposed;

    protected OwnedHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>True once Dispose was called; <see cref="SafeHandle.IsClosed"/> only turns true at the native free.</summary>
    public bool IsDisposed => _disposed || IsClosed;

    /// <summary>The native pointer; throws <see cref="ObjectDisposedException"/> after Dispose.</summary>
    protected IntPtr Live
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return handle;
        }
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        base.Dispose(disposing);
    }
}
