namespace LlamaSteer.Native.Runtime;

/// <summary>
/// A ggml backend library that the runtime folder offers but that did not register: ggml's loader skips it silently,
/// so LlamaSteer says why (usually a GPU runtime library that is not installed).
/// </summary>
/// <param name="Backend">The backend the file is named after (<c>cuda</c>, <c>vulkan</c>).</param>
/// <param name="File">Full path of the backend library.</param>
/// <param name="MissingLibraries">Libraries it needs that this machine cannot load (<c>libcuda.so.1</c>), in the file's order.</param>
/// <param name="LoadError">The loader's own message when nothing is missing (a wrong symbol version, a bad file), else null.</param>
public sealed record BackendProblem(string Backend, string File, IReadOnlyList<string> MissingLibraries, string? LoadError)
{
    /// <summary>One line: which backend, which file, what is missing.</summary>
    public string Describe()
    {
        var file = Path.GetFileName(File);
        if (Path.GetFileName(Path.GetDirectoryName(File)) == BackendProbe.FallbackFolder) file = $"{BackendProbe.FallbackFolder}/{file}";
        if (MissingLibraries.Count > 0)
            return $"{Backend} not loaded: {file} needs {string.Join(", ", MissingLibraries)}, not found on this machine";
        return $"{Backend} not loaded: {file}: {LoadError ?? "ggml's loader refused it (no usable device or driver)"}";
    }
}
