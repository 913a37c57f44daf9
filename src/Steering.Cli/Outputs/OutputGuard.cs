namespace LlamaSteer.Cli.Outputs;

/// <summary>
/// The one check every verb that writes runs before any work: an output may never be one of the verb's inputs
/// (the same path after resolving symbolic links), may not be a folder, needs an existing folder, and replaces an
/// existing file only when the verb allows it (<c>--force</c>). Throws <see cref="ArgumentException"/> (exit 2) naming
/// the option and the input.
/// </summary>
public static class OutputGuard
{
    /// <summary>An input of the verb: the option that named it (or a description) and its path; a null path is skipped.</summary>
    public readonly record struct Input(string Option, string? Path);

    /// <summary>Checks <paramref name="output"/> (given by <paramref name="option"/>) against <paramref name="inputs"/>.</summary>
    /// <param name="mayReplace">Whether an existing file at <paramref name="output"/> may be replaced; when false the error suggests <paramref name="forceHint"/>.</param>
    /// <param name="forceHint">The option that allows replacing (e.g. "--force"), or null if the verb has none.</param>
    /// <exception cref="ArgumentException">The output is an input, a folder, in a missing folder, or exists and may not be replaced.</exception>
    public static void Check(string output, string option, IEnumerable<Input> inputs, bool mayReplace = true, string? forceHint = "--force")
    {
        ArgumentException.ThrowIfNullOrEmpty(output);
        var target = Canonical(output);
        foreach (var input in inputs)
        {
            if (string.IsNullOrEmpty(input.Path)) continue;
            if (string.Equals(Canonical(input.Path), target, StringComparison.Ordinal))
                throw new ArgumentException($"{option} {output} is the {input.Option} input {input.Path}; an output never replaces an input: write elsewhere.");
        }
        if (Directory.Exists(output)) throw new ArgumentException($"{option} {output} is a folder; give a file name.");
        var folder = Path.GetDirectoryName(Path.GetFullPath(output));
        if (folder is not null && !Directory.Exists(folder)) throw new ArgumentException($"{option} {output}: the folder {folder} does not exist.");
        if (!mayReplace && File.Exists(output))
            throw new ArgumentException(forceHint is null ? $"{option} {output} exists." : $"{option} {output} exists; pass {forceHint} to replace it.");
    }

    /// <summary>The full path with symbolic links resolved where the file (or its folder) exists.</summary>
    internal static string Canonical(string path)
    {
        var full = Path.GetFullPath(path);
        try
        {
            var folder = Path.GetDirectoryName(full);
            if (folder is not null && Directory.Exists(folder))
                full = Path.Combine(ResolveFolder(folder), Path.GetFileName(full));
            if (File.Exists(full) && new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true) is { } target)
                full = Path.GetFullPath(target.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An unreadable link compares by its own path.
        }
        return full;
    }

    private static string ResolveFolder(string folder)
    {
        var parent = Path.GetDirectoryName(folder);
        var resolvedParent = parent is null ? folder : ResolveFolder(parent);
        var here = parent is null ? folder : Path.Combine(resolvedParent, Path.GetFileName(folder));
        return new DirectoryInfo(here).ResolveLinkTarget(returnFinalTarget: true) is { } target ? Path.GetFullPath(target.FullName) : here;
    }
}
