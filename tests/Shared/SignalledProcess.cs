using System.Diagnostics;
using System.Text;
using NUnit.Framework;

namespace LlamaSteer.Testing;

/// <summary>
/// Runs a real executable, waits until its output shows that the work under test has started, sends it a real
/// POSIX signal (with the system's <c>kill</c>), and returns how it ended.
/// </summary>
internal static class SignalledProcess
{
    public sealed record Outcome(int ExitCode, string Stdout, string Stderr);

    /// <param name="start">The process to start; its output is redirected here.</param>
    /// <param name="startedMarker">Text on stdout or stderr that shows the work is under way.</param>
    /// <param name="signal">"INT", "TERM" or "HUP".</param>
    public static Outcome Run(ProcessStartInfo start, string startedMarker, string signal, int timeoutSeconds = 120)
    {
        RestoreIfIgnored(start, signal);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var started = new ManualResetEventSlim();
        var readers = new[] { Pump(process.StandardOutput, stdout), Pump(process.StandardError, stderr) };

        Task Pump(StreamReader reader, StringBuilder into) => Task.Run(async () =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = await reader.ReadAsync(buffer)) > 0)
            {
                lock (into)
                {
                    into.Append(buffer, 0, n);
                    if (into.ToString().Contains(startedMarker, StringComparison.Ordinal)) started.Set();
                }
            }
        });

        try
        {
            if (!started.Wait(TimeSpan.FromSeconds(timeoutSeconds)))
                Assert.Fail($"'{startedMarker}' never appeared.\nstdout: {stdout}\nstderr: {stderr}");
            Assert.That(process.HasExited, Is.False, $"the process ended before the signal could reach it.\nstdout: {stdout}\nstderr: {stderr}");
            using (var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {process.Id}"))!)
            {
                kill.WaitForExit();
                Assert.That(kill.ExitCode, Is.Zero, "kill failed");
            }
            if (!process.WaitForExit(timeoutSeconds * 1000))
                Assert.Fail($"the process did not end within {timeoutSeconds} s of SIG{signal}.\nstderr: {stderr}");
            Task.WaitAll(readers);
            return new Outcome(process.ExitCode, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>
    /// A shell without job control starts background commands with SIGINT and SIGQUIT ignored (a command sent to the background in a script),
    /// and an ignored signal stays ignored across exec, so the child would never see Ctrl+C: correct for the child, wrong for
    /// this test. When this process ignores the signal, the child is started through coreutils' <c>env --default-signal</c>, which
    /// restores the default disposition before exec (same pid, so the signal still reaches it).
    /// </summary>
    public static void RestoreIfIgnored(ProcessStartInfo start, string signal)
    {
        var number = signal switch { "HUP" => 1, "INT" => 2, "QUIT" => 3, "TERM" => 15, _ => 0 };
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        if (number == 0 || line is null || (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (number - 1))) == 0) return;
        start.ArgumentList.Insert(0, start.FileName);
        start.ArgumentList.Insert(0, $"--default-signal={signal}");
        start.FileName = "env";
    }
}
