using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using LlamaSteer.Testing;

namespace LlamaSteer.Host.Tests.Serving;

/// <summary>
/// The real <c>llamasteer serve</c> as a child process on a free loopback port (<c>--port 0</c>; the address is read
/// from its first line). Stopped with SIGINT, as a user would, to observe the graceful stop and its exit code.
/// </summary>
internal sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _stderr = new();
    private readonly Task _stderrPump;

    private ServerProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
        _stderrPump = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
                lock (_stderr) _stderr.AppendLine(line);
        });
    }

    public Uri Address { get; }

    public int ProcessId => _process.Id;

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>Resident memory of the server process in bytes (Linux /proc).</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        throw new InvalidOperationException("no VmRSS");
    }

    public static async Task<ServerProcess> StartAsync(string dataDir, params string[] extra)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "llamasteer.dll"));
        foreach (var a in new[] { "serve", "--port", "0", "--data-dir", dataDir, "--threads", "1", "--slot-context", "256", "--grace", "5" }.Concat(extra))
            psi.ArgumentList.Add(a);
        SignalledProcess.RestoreIfIgnored(psi, "INT"); // StopAsync sends SIGINT
        var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var first = process.StandardOutput.ReadLineAsync();
        if (await Task.WhenAny(first, Task.Delay(TimeSpan.FromSeconds(60))) != first || first.Result is not { } line || AddressLine().Match(line) is not { Success: true } m)
        {
            process.Kill(entireProcessTree: true);
            var err = await process.StandardError.ReadToEndAsync();
            throw new InvalidOperationException($"The server did not start: {err}");
        }
        _ = process.StandardOutput.ReadToEndAsync();
        return new ServerProcess(process, new Uri(m.Value));
    }

    /// <summary>Sends SIGINT and waits for the exit code.</summary>
    public async Task<int> InterruptAsync(int timeoutSeconds = 30)
    {
        if (_process.HasExited) return _process.ExitCode;
        if (Kill(_process.Id, 2) != 0) throw new InvalidOperationException("kill(SIGINT) failed");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        await _process.WaitForExitAsync(timeout.Token);
        await _stderrPump;
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"http://[0-9.]+:[0-9]+")]
    private static partial Regex AddressLine();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
