namespace LlamaSteer.Testing;

/// <summary>Where the shared test model and the repository are, seen from a test's output folder.</summary>
internal static class TestPaths
{
    /// <summary>The repository root (the folder holding LlamaSteer.sln).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The repository's models/stories260K.gguf, or $LLAMASTEER_TEST_MODEL.</summary>
    public static string Model
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("LLAMASTEER_TEST_MODEL");
            var path = !string.IsNullOrEmpty(fromEnv)
                ? fromEnv
                : Path.GetFullPath(Path.Combine(RepoRoot, "models", "stories260K.gguf"));
            if (!File.Exists(path))
                throw new FileNotFoundException($"The test model is missing at {path}. It ships in the repository (models/stories260K.gguf); restore it with git or set LLAMASTEER_TEST_MODEL.", path);
            return path;
        }
    }

    /// <summary>A fresh empty folder under the system temp folder; the caller deletes it.</summary>
    public static string NewTempDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "llamasteer-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LlamaSteer.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No LlamaSteer.sln above {AppContext.BaseDirectory}.");
    }
}
