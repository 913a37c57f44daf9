namespace LlamaSteer.Generation;

/// <summary>
/// Streams text while holding back any tail that could still become a stop string, so a stop
/// string is never partly emitted.
/// </summary>
internal sealed class StopStringFilter(IReadOnlyList<string> stops)
{
    private string _pending = "";

    /// <summary>Adds text; returns what can be emitted now, and whether a stop string was reached.</summary>
    public (string Emit, bool Stopped) Push(string text)
    {
        _pending += text;
        if (stops.Count == 0)
        {
            var all = _pending;
            _pending = "";
            return (all, false);
        }
        var cut = -1;
        foreach (var s in stops)
        {
            var i = _pending.IndexOf(s, StringComparison.Ordinal);
            if (i >= 0 && (cut < 0 || i < cut)) cut = i;
        }
        if (cut >= 0)
        {
            var before = _pending[..cut];
            _pending = "";
            return (before, true);
        }
        var hold = 0;
        foreach (var s in stops)
            for (var k = Math.Min(s.Length - 1, _pending.Length); k > hold; k--)
                if (_pending.AsSpan(_pending.Length - k).SequenceEqual(s.AsSpan(0, k))) { hold = k; break; }
        var emit = _pending[..^hold];
        _pending = _pending[^hold..];
        return (emit, false);
    }

    /// <summary>Whatever is still held back when generation ends for another reason.</summary>
    public string Flush()
    {
        var rest = _pending;
        _pending = "";
        return rest;
    }
}
