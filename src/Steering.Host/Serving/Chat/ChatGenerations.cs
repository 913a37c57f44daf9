using System.Collections.Concurrent;
using System.Threading.Channels;
using LlamaSteer.Serving;

namespace LlamaSteer.Host.Serving.Chat;

/// <summary>A generation started from the chat hub: its steered sequence, the unsteered one beside it in compare mode, and its event stream.</summary>
internal sealed class ChatGeneration(string id, string owner, ServedSequence steered, ServedSequence? plain, string[] terms, CancellationTokenSource cancel)
{
    private static long s_started;

    /// <summary>Start order, for dropping the oldest finished ones.</summary>
    public long Order { get; } = Interlocked.Increment(ref s_started);

    public string Id { get; } = id;

    /// <summary>The SignalR connection that started it: only that connection may change its plan or cancel it.</summary>
    public string Owner { get; } = owner;

    public ServedSequence Steered { get; } = steered;
    public ServedSequence? Plain { get; } = plain;
    public CancellationTokenSource Cancel { get; } = cancel;
    public Channel<ChatEvent> Events { get; } = Channel.CreateUnbounded<ChatEvent>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Term names of the plan in force by revision (the page labels the map with them).</summary>
    public ConcurrentDictionary<int, string[]> TermsByRevision { get; } = new() { [0] = terms };

    public bool Finished => Steered.IsFinished && (Plain?.IsFinished ?? true);
}

/// <summary>
/// The chat hub's generations by id, across connections. Finished ones stay until their connection closes (at most
/// <see cref="KeptPerConnection"/> each), so a late plan change is told that the generation finished. Thread-safe.
/// </summary>
internal sealed class ChatGenerations
{
    public const int KeptPerConnection = 32;

    private readonly ConcurrentDictionary<string, ChatGeneration> _byId = new();

    public void Add(ChatGeneration generation)
    {
        var mine = _byId.Values.Where(g => g.Owner == generation.Owner && g.Finished).OrderBy(g => g.Order).ToList();
        foreach (var old in mine.Take(Math.Max(0, mine.Count - KeptPerConnection + 1))) _byId.TryRemove(old.Id, out _);
        _byId[generation.Id] = generation;
    }

    /// <summary>The connection's own generation with that id, or null (another connection's counts as unknown).</summary>
    public ChatGeneration? Find(string id, string owner) =>
        _byId.TryGetValue(id, out var g) && g.Owner == owner ? g : null;

    /// <summary>Cancels and forgets everything a closed connection started.</summary>
    public void Drop(string owner)
    {
        foreach (var g in _byId.Values.Where(g => g.Owner == owner).ToList())
        {
            g.Cancel.Cancel();
            _byId.TryRemove(g.Id, out _);
        }
    }
}
