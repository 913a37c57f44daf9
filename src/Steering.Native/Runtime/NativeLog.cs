using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlamaSteer.Native.Runtime;

/// <summary>
/// Routes llama.cpp's and ggml's log to Microsoft.Extensions.Logging, and keeps the last error
/// lines of the calling thread so that a failed native call can say what llama.cpp reported.
/// </summary>
public static unsafe class NativeLog
{
    private static ILogger _logger = NullLogger.Instance;
    private static int _lastLevel = 2;

    [ThreadStatic] private static List<(LogLevel Level, string Message)>? _recent;
    [ThreadStatic] internal static List<string>? Captured;

    internal static void Install(ILoggerFactory? factory)
    {
        _logger = factory?.CreateLogger("llama.cpp") ?? NullLogger.Instance;
        Interop.LlamaNative.LogSet(&OnLog, IntPtr.Zero);
    }

    /// <summary>
    /// Records every line llama.cpp logs on this thread, at any level and whatever the logger shows, until the capture
    /// is disposed (llama.cpp reports the buffers it allocates this way, and nowhere in its C API).
    /// </summary>
    public static NativeLogCapture Capture() => new();

    /// <summary>Forgets the error lines recorded on this thread.</summary>
    public static void ClearRecent() => _recent?.Clear();

    /// <summary>
    /// The error lines llama.cpp logged on this thread since <see cref="ClearRecent"/>, joined; the warnings when
    /// there was no error (warnings beside an error are noise, such as "bad special token ... using default").
    /// </summary>
    public static string RecentProblems()
    {
        if (_recent is not { Count: > 0 } r) return "";
        var errors = r.Where(x => x.Level >= LogLevel.Error).Select(x => x.Message).ToList();
        return string.Join(" ", errors.Count > 0 ? errors : r.Select(x => x.Message));
    }

    [UnmanagedCallersOnly]
    private static void OnLog(int level, byte* text, IntPtr userData)
    {
        try
        {
            var message = (Marshal.PtrToStringUTF8((IntPtr)text) ?? "").TrimEnd();
            if (level == 5) level = _lastLevel; // GGML_LOG_LEVEL_CONT continues the previous line
            else _lastLevel = level;
            if (message.Length == 0) return;
            Captured?.Add(message);
            var logLevel = level switch
            {
                1 => LogLevel.Debug,
                2 => LogLevel.Information,
                3 => LogLevel.Warning,
                4 => LogLevel.Error,
                _ => LogLevel.Trace,
            };
            if (logLevel >= LogLevel.Warning)
            {
                var recent = _recent ??= [];
                if (recent.Count >= 8) recent.RemoveAt(0);
                recent.Add((logLevel, message));
            }
            if (_logger.IsEnabled(logLevel)) _logger.Log(logLevel, "{NativeMessage}", message);
        }
        catch
        {
            // An exception must never unwind into native code.
        }
    }
}
