namespace LlamaSteer.Native.Runtime;

/// <summary>
/// The file names of one llama.cpp build of release <see cref="NativeRuntime.ExpectedRelease"/>: node-llama-cpp's
/// packages name libllama and libggml after their variant (<c>libllama.cuda.v0.5.0.so</c> needs
/// <c>libggml.cuda.v0.5.0.so</c> by soname), a plain CMake build does not. Every import must bind to the files of one
/// layout, or two copies of libggml (two backend registries) would be loaded. Immutable.
/// </summary>
/// <param name="Name">What the build is, for messages (<c>cuda (node-llama-cpp)</c>).</param>
/// <param name="LlamaFile">libllama's file name.</param>
/// <param name="GgmlFile">libggml's file name (the backend registry).</param>
/// <param name="GgmlBaseFile">libggml-base's file name.</param>
public sealed record RuntimeLayout(string Name, string LlamaFile, string GgmlFile, string GgmlBaseFile)
{
    private const string V = NativeRuntime.ExpectedRelease;

    /// <summary>Every layout LlamaSteer recognises, node-llama-cpp's variants first.</summary>
    public static IReadOnlyList<RuntimeLayout> Known { get; } =
    [
        new("cpu (node-llama-cpp)", $"libllama.v{V}.so", $"libggml.v{V}.so", "libggml-base.so"),
        new("cuda (node-llama-cpp)", $"libllama.cuda.v{V}.so", $"libggml.cuda.v{V}.so", "libggml-base.so"),
        new("vulkan (node-llama-cpp)", $"libllama.vulkan.v{V}.so", $"libggml.vulkan.v{V}.so", "libggml-base.so"),
        new("CMake build (Linux)", "libllama.so", "libggml.so", "libggml-base.so"),
        new("CMake build (macOS)", "libllama.dylib", "libggml.dylib", "libggml-base.dylib"),
        new("CMake build (Windows)", "llama.dll", "ggml.dll", "ggml-base.dll"),
    ];

    /// <summary>The layout whose libllama lies in <paramref name="directory"/>, or null when none does.</summary>
    /// <exception cref="NativeRuntimeException">The folder holds libllama of two builds, so which one runs would be a guess.</exception>
    public static RuntimeLayout? Detect(string directory)
    {
        if (!Directory.Exists(directory)) return null;
        var present = Known.Where(l => File.Exists(Path.Combine(directory, l.LlamaFile))).ToList();
        if (present.Count > 1)
            throw new NativeRuntimeException(
                $"{directory} holds more than one llama.cpp build ({string.Join(", ", present.Select(l => $"{l.LlamaFile}: {l.Name}"))}); " +
                "delete the folder and build again with one -p:LlamaSteerBackend, or point LLAMASTEER_NATIVE_DIR at a folder with one build.");
        return present.FirstOrDefault();
    }

    /// <summary>The file that serves a logical library name of the imports, or null for a name that is not ours.</summary>
    internal string? FileFor(string libraryName) => libraryName switch
    {
        Interop.LibraryNames.Llama => LlamaFile,
        Interop.LibraryNames.Ggml => GgmlFile,
        Interop.LibraryNames.GgmlBase => GgmlBaseFile,
        _ => null,
    };
}
