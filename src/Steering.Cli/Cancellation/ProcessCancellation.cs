using System.Runtime.InteropServices;
using LlamaSteer.Files;

namespace LlamaSteer.Cli.Cancellation;

/// <summary>
/// Turns SIGINT (Ctrl+C), SIGTERM and SIGHUP into a cancellation of <see cref="Token"/> instead of an immediate
/// exit, so the running verb stops at its next check, deletes its temporary files and exits with
/// <see cref="ExitCodes.Cancelled"/>. A second signal while the first is being honoured exits at once, after
/// deleting every registered temporary file (<see cref="TemporaryFiles"/>). Create one per process, before
/// the verb runs; disposing it restores the default signal handling.
/// </summary>
public sealed class ProcessCancellation : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _signals;

    /// <summary>Registers the signal handlers.</summary>
    public ProcessCancellation()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal),
        ];
    }

    /// <summary>Cancelled by the first termination signal.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Whether a termination signal arrived.</summary>
    public bool Signalled => Volatile.Read(ref _signals) > 0;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        if (Interlocked.Increment(ref _signals) == 1)
        {
            // Off the signal thread: cancellation callbacks run synchronously and may take a moment.
            ThreadPool.QueueUserWorkItem(_ => _source.Cancel());
            return;
        }
        TemporaryFiles.DeleteAll();
        Console.Error.WriteLine($"{ProgramName.Current}: cancelled");
        Environment.Exit(ExitCodes.Cancelled);
    }

    /// <summary>Restores the default handling of the signals.</summary>
    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _source.Dispose();
    }
}
