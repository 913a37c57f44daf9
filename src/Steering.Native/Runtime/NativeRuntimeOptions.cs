using Microsoft.Extensions.Logging;

namespace LlamaSteer.Native.Runtime;

/// <summary>
/// How the llama.cpp runtime is found and how its log is routed. Frozen at the first native call:
/// <see cref="NativeRuntime.Configure"/> after that throws.
/// </summary>
public sealed record NativeRuntimeOptions
{
    /// <summary>Environment variable naming a folder with an own llama.cpp build of the pinned release.</summary>
    public const string LibraryDirectoryVariable = "LLAMASTEER_NATIVE_DIR";

    /// <summary>
    /// Folder holding libllama, libggml, libggml-base and the ggml backends. Null: the
    /// <see cref="LibraryDirectoryVariable"/> variable, else <c>native/</c> beside the application.
    /// </summary>
    public string? LibraryDirectory { get; init; }

    /// <summary>Receives llama.cpp's and ggml's log (category <c>llama.cpp</c>). Null: nothing is logged.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
