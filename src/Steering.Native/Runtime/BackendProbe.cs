using System.Text.RegularExpressions;
using LlamaSteer.Native.Interop;

namespace LlamaSteer.Native.Runtime;

/// <summary>
/// Loads the ggml backends of a runtime folder, tries node-llama-cpp's <c>fallback/</c> folder for a GPU backend whose
/// library did not load (the CUDA 12 build beside the CUDA 13 one, as node-llama-cpp does), and explains every GPU
/// backend library that still did not register. Called once, under <see cref="NativeRuntime"/>'s lock.
/// </summary>
internal static unsafe partial class BackendProbe
{
    /// <summary>The folder, beside the libraries, that holds alternative builds of a GPU backend.</summary>
    public const string FallbackFolder = "fallback";

    // libggml-cuda.so, libggml-vulkan.so; not libggml-base.so nor the CPU variants libggml-cpu-haswell.so.
    [GeneratedRegex(@"^(?:lib)?ggml-(?!base\b|cpu\b)([a-z0-9]+)\.(?:so|dylib|dll)$")]
    private static partial Regex BackendFilePattern();

    /// <summary>The backend a library file is named after (<c>cuda</c> for <c>libggml-cuda.so</c>), or null for any other file.</summary>
    public static string? BackendOf(string fileName)
    {
        var m = BackendFilePattern().Match(fileName);
        return m.Success ? m.Groups[1].Value : null;
    }

    /// <summary>Loads every backend in <paramref name="directory"/> and returns the GPU backend libraries that did not register.</summary>
    public static IReadOnlyList<BackendProblem> LoadAll(string directory)
    {
        GgmlNative.BackendLoadAllFromPath(directory);
        var problems = new List<BackendProblem>();
        foreach (var file in BackendFiles(directory))
        {
            var backend = BackendOf(Path.GetFileName(file))!;
            if (IsRegistered(backend)) continue;
            var fallback = Path.Combine(directory, FallbackFolder);
            var alternatives = BackendFiles(fallback).Where(f => BackendOf(Path.GetFileName(f)) == backend).ToList();
            if (alternatives.Count > 0)
            {
                GgmlNative.BackendLoadAllFromPath(fallback);
                if (IsRegistered(backend)) continue;
            }
            problems.Add(Explain(backend, file));
            problems.AddRange(alternatives.Select(f => Explain(backend, f)));
        }
        return problems;
    }

    /// <summary>The names of the registered backends (<c>CPU</c>, <c>CUDA</c>, <c>Vulkan</c>).</summary>
    public static List<string> RegisteredNames()
    {
        var list = new List<string>();
        for (nuint i = 0; i < GgmlNative.BackendRegCount(); i++)
            list.Add(NativeRuntime.Utf8(GgmlBaseNative.BackendRegName(GgmlNative.BackendRegGet(i))));
        return list;
    }

    private static IEnumerable<string> BackendFiles(string directory) =>
        Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory).Where(f => BackendOf(Path.GetFileName(f)) is not null).Order(StringComparer.Ordinal)
            : [];

    // Registry names differ from file names only in case, except HIP, which registers as ROCm.
    private static bool IsRegistered(string backend) =>
        RegisteredNames().Any(n => string.Equals(n, backend, StringComparison.OrdinalIgnoreCase)
                                   || (backend == "hip" && n.Equals("ROCm", StringComparison.OrdinalIgnoreCase)));

    private static BackendProblem Explain(string backend, string file)
    {
        var missing = SharedLibraryDependencies.Missing(file);
        if (missing.Count > 0) return new BackendProblem(backend, file, missing, null);
        string? error = null;
        try
        {
            System.Runtime.InteropServices.NativeLibrary.Free(System.Runtime.InteropServices.NativeLibrary.Load(file));
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            error = e.Message;
        }
        return new BackendProblem(backend, file, [], error);
    }
}
