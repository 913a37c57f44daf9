namespace LlamaSteer.Native.Runtime;

/// <summary>
/// The lines llama.cpp logged on the creating thread since <see cref="NativeLog.Capture"/>; stops recording when
/// disposed. One capture per thread at a time; not thread-safe.
/// </summary>
public sealed class NativeLogCapture : IDisposable
{
    private readonly List<string>? _previous;
    private readonly List<string> _lines = [];

    internal NativeLogCapture()
    {
        _previous = NativeLog.Captured;
        NativeLog.Captured = _lines;
    }

    /// <summary>The lines so far, trailing whitespace removed.</summary>
    public IReadOnlyList<string> Lines => _lines;

    /// <summary>Stops recording (and restores an enclosing capture on this thread).</summary>
    public void Dispose() => NativeLog.Captured = _previous;
}
