namespace LlamaSteer.Host.Cli;

/// <summary>Finds files shipped in the repository (datasets, probes) from the current folder or the executable's.</summary>
internal static class RepoFiles
{
    /// <summary>The first existing path of <paramref name="relative"/> under the current folder or the repository root; else the former.</summary>
    public static string Find(string relative)
    {
        var here = Path.GetFullPath(relative);
        if (File.Exists(here)) return here;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LlamaSteer.sln")))
            {
                var candidate = Path.Combine(dir.FullName, relative);
                return File.Exists(candidate) ? candidate : here;
            }
        return here;
    }

    /// <summary>The shipped datasets' folder, relative to the repository root.</summary>
    public const string DatasetFolder = "vectors/datasets";

    /// <summary>
    /// A dataset argument: a path to a file as given, or a shipped dataset's name (<c>tinystories-happy-sad</c>
    /// → <c>vectors/datasets/tinystories-happy-sad.jsonl</c>) when no such file exists.
    /// </summary>
    public static string Dataset(string nameOrPath) =>
        File.Exists(nameOrPath) || nameOrPath.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)
            ? nameOrPath
            : Find(Path.Combine(DatasetFolder, nameOrPath + ".jsonl"));
}
