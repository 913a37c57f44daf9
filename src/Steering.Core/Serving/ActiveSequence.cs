using System.Diagnostics;
using LlamaSteer.Generation;

namespace LlamaSteer.Serving;

/// <summary>A sequence holding a slot: how much of its prompt is in the KV cache, whether it has logits waiting, its generation state.</summary>
internal sealed class ActiveSequence(int slot, ServedSequence sequence, SequenceRun run, CancellationTokenRegistration wake) : IDisposable
{
    public int Slot { get; } = slot;
    public ServedSequence Sequence { get; } = sequence;
    public SequenceRun Run { get; } = run;

    /// <summary>Prompt tokens already decoded into the slot.</summary>
    public int Prefilled { get; set; }

    public bool Prefilling => Prefilled < Sequence.Prompt.Length;

    /// <summary>The batch index whose logits this sequence samples from after the current decode, or -1.</summary>
    public int LogitsIndex { get; set; } = -1;

    /// <summary>True when its last sampled token must be decoded next step.</summary>
    public bool Feeding { get; set; }

    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    /// <summary>When (on <see cref="Clock"/>) its next token may be decoded; see <see cref="ServingRequest.TokenInterval"/>.</summary>
    public TimeSpan Due { get; set; }

    public void Dispose()
    {
        wake.Dispose();
        Run.Dispose();
    }
}
