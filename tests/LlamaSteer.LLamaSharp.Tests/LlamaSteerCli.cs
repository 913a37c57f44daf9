using System.Diagnostics;
using System.Reflection;

namespace LlamaSteer.LLamaSharp.Tests;

/// <summary>
/// The real <c>llamasteer</c> executable (built by this project's build, not referenced) as a child process, so that its
/// llama.cpp never meets LLamaSharp's in this process.
/// </summary>
internal static class LlamaSteerCli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static string Executable { get; } = Path.GetFullPath(typeof(LlamaSteerCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "LlamaSteerExecutable").Value!);

    public static Result Run(params string[] args)
    {
        Assert.That(Executable, Does.Exist, "the build of this project builds llamasteer");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(Executable);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(180_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"llamasteer {string.Join(' ', args)} did not finish in 180 s");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
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
