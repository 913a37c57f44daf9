using System.Reflection;
using LlamaSteer.Testing;

namespace LlamaSteer.LLamaSharp.Tests;

/// <summary>
/// The real <c>llamasteer</c> executable (built by this project's build, not referenced) as a child process, so that its
/// llama.cpp never meets LLamaSharp's in this process.
/// </summary>
internal static class LlamaSteerCli
{
    public static string Executable { get; } = Path.GetFullPath(typeof(LlamaSteerCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "LlamaSteerExecutable").Value!);

    /// <summary>Runs <c>dotnet llamasteer.dll ARGS</c> through the tests' one runner (<see cref="Executables"/>).</summary>
    public static ProcessResult Run(params string[] args)
    {
        Assert.That(Executable, Does.Exist, "the build of this project builds llamasteer");
        return Executables.Dotnet(Executable, args, timeoutSeconds: 180);
    }

    /// <summary>Greedy text from <c>llamasteer generate</c> (the prompt and the continuation, as it prints them, without the final newline).</summary>
    public static string Generate(string prompt, int tokens, params string[] steering)
    {
        var r = Run(["generate", "-m", Models.Path, "-t", "1", "-c", Models.ContextSize.ToString(), "-p", prompt, "--temperature", "0", "-n", tokens.ToString(), .. steering]);
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        Assert.That(r.Stdout, Does.EndWith("\n"));
        return r.Stdout[..^1];
    }

    /// <summary>The one-line message llamasteer prints for a failure, without the program name.</summary>
    public static string Failure(params string[] args)
    {
        var r = Run(args);
        Assert.That(r.ExitCode, Is.Not.Zero, r.Stdout);
        var line = r.Stderr.TrimEnd();
        Assert.That(line, Does.StartWith("llamasteer: ").And.Not.Contain("\n"));
        return line["llamasteer: ".Length..];
    }
}
