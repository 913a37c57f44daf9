using System.Diagnostics;
using NUnit.Framework;

namespace LlamaSteer.Testing;

/// <summary>How a child process ended: its exit code and everything it wrote.</summary>
internal sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// Runs the real executables the tests check (<c>llamasteer</c>, <c>gguf-tools</c>, the C compiler, <c>dotnet build</c>) as child
/// processes with stdin closed, collecting stdout and stderr, and fails the test, killing the process tree, when one runs past
/// its time. The one runner of the test projects; <c>SignalledProcess</c> (tests/Shared) is for the tests that signal a process mid-run.
/// </summary>
internal static class Executables
{
    /// <summary>An executable built beside the tests (an apphost such as <c>gguf-tools</c>); fails the test when it is missing.</summary>
    public static string BesideTheTests(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? name + ".exe" : name);
        Assert.That(File.Exists(path), Is.True, $"no {name} executable beside the tests at {path}: the test project's build should have copied it");
        return path;
    }

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>.</summary>
    /// <param name="environment">Variables to set; a null value removes the variable.</param>
    public static ProcessResult Run(string file, IEnumerable<string> args, IDictionary<string, string?>? environment = null, int timeoutSeconds = 120, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        var list = args.ToList();
        foreach (var a in list) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>())
        {
            if (v is null) psi.Environment.Remove(k);
            else psi.Environment[k] = v;
        }
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(file)} {string.Join(' ', list)} did not finish in {timeoutSeconds} s");
        }
        return new ProcessResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a framework-dependent application: <c>dotnet DLL ARGS</c>.</summary>
    public static ProcessResult Dotnet(string dll, IEnumerable<string> args, IDictionary<string, string?>? environment = null, int timeoutSeconds = 120) =>
        Run("dotnet", args.Prepend(dll), environment, timeoutSeconds);
}
