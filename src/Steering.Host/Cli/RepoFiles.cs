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
}
