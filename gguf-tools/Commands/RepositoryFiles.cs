namespace LlamaSteer.GgufTools.Commands;

/// <summary>Files of the repository that holds this build (or the current folder).</summary>
internal static class RepositoryFiles
{
    /// <summary>The default model, relative to the repository root.</summary>
    public static readonly string[] DefaultModelInRepository = ["models", "stories260K.gguf"];

    /// <summary>models/stories260K.gguf of the repository that holds this build (or the current folder), or null.</summary>
    public static string? DefaultModel()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (!File.Exists(Path.Combine(dir.FullName, "LlamaSteer.sln"))) continue;
                var candidate = Path.GetFullPath(Path.Combine([dir.FullName, .. DefaultModelInRepository]));
                if (File.Exists(candidate)) return candidate;
                break;
            }
        }
        return null;
    }
}
