namespace LlamaSteer.Host.Cli;

/// <summary>
/// The model used when --model is not given: $LLAMASTEER_MODEL, else ../shared/models/stories260K.gguf
/// (from the current folder, or from the repository the executable was built in).
/// </summary>
internal static class DefaultModel
{
    public const string Variable = "LLAMASTEER_MODEL";
    public const string RelativePath = "../shared/models/stories260K.gguf";

    public static string Resolve()
    {
        var fromEnv = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return fromEnv;
        var candidates = new List<string> { Path.GetFullPath(RelativePath) };
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LlamaSteer.sln")))
            {
                candidates.Add(Path.GetFullPath(Path.Combine(dir.FullName, RelativePath)));
                break;
            }
        }
        return candidates.FirstOrDefault(File.Exists) ?? candidates[0];
    }
}
