namespace LlamaSteer.Host.Cli;

/// <summary>
/// The model used when --model is not given: $LLAMASTEER_MODEL, else models/stories260K.gguf of the repository
/// (found from the current folder, then from the folder the executable was built in).
/// </summary>
internal static class DefaultModel
{
    public const string Variable = "LLAMASTEER_MODEL";
    public const string RelativePath = "models/stories260K.gguf";

    public static string Resolve()
    {
        var fromEnv = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return fromEnv;
        return RepoFiles.Find(RelativePath);
    }
}
