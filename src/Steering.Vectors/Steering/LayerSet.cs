using System.Globalization;

namespace LlamaSteer.Steering;

/// <summary>
/// A sorted, duplicate-free set of layer indices, parsed from text such as "1-4", "2,5,7", "3" or "all".
/// Layer il names the residual stream after block il (llama.cpp's tensor l_out-il).
/// </summary>
public sealed class LayerSet : IEquatable<LayerSet>
{
    private readonly int[] _layers;

    private LayerSet(int[] layers) => _layers = layers;

    public IReadOnlyList<int> Layers => _layers;

    public int Count => _layers.Length;

    public int First => _layers[0];

    public int Last => _layers[^1];

    public bool Contains(int layer) => Array.BinarySearch(_layers, layer) >= 0;

    /// <summary>Layers from <paramref name="first"/> to <paramref name="last"/> inclusive.</summary>
    public static LayerSet Range(int first, int last)
    {
        if (first < 0 || last < first) throw new ArgumentException($"Invalid layer range {first}-{last}.");
        return new LayerSet(Enumerable.Range(first, last - first + 1).ToArray());
    }

    public static LayerSet Of(IEnumerable<int> layers)
    {
        var arr = layers.Distinct().Order().ToArray();
        if (arr.Length == 0) throw new ArgumentException("No layers given.");
        if (arr[0] < 0) throw new ArgumentException($"Layer {arr[0]} is negative.");
        return new LayerSet(arr);
    }

    /// <summary>Parses "1-4", "2,5,7", "1-3,6" or "all" (= 0..layerCount-1), and checks it against the model.</summary>
    /// <exception cref="ArgumentException">Malformed text, or a layer outside 0..layerCount-1.</exception>
    public static LayerSet Parse(string text, int layerCount)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        if (t.Equals("all", StringComparison.OrdinalIgnoreCase)) return Range(0, layerCount - 1);
        var layers = new List<int>();
        foreach (var part in t.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.Length == 0)
                throw new ArgumentException(t.Length == 0
                    ? "The layer list is empty: use forms like 1-4, 2,5,7 or all."
                    : $"'{text}' has an empty entry: use forms like 1-4, 2,5,7 or all.");
            var dash = part.IndexOf('-', 1);
            if (dash > 0)
            {
                var a = ParseOne(part[..dash], text);
                var b = ParseOne(part[(dash + 1)..], text);
                if (b < a) throw new ArgumentException($"Layer range '{part}' in '{text}' runs backwards.");
                layers.AddRange(Enumerable.Range(a, b - a + 1));
            }
            else layers.Add(ParseOne(part, text));
        }
        var set = Of(layers);
        set.CheckAgainst(layerCount);
        return set;
    }

    /// <exception cref="ArgumentException">A layer outside 0..layerCount-1.</exception>
    public void CheckAgainst(int layerCount)
    {
        if (Last >= layerCount || First < 0)
            throw new ArgumentException($"Layers {this} are outside the model, which has layers 0-{layerCount - 1}.");
    }

    private static int ParseOne(string s, string whole)
    {
        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            throw new ArgumentException($"'{whole}' is not a layer list: use forms like 1-4, 2,5,7 or all.");
        return v;
    }

    /// <summary>Compact text of any layer numbers for a message ("1-4,9"), cut after a few ranges so that a message stays one readable line.</summary>
    public static string Describe(IEnumerable<int> layers)
    {
        var text = Of(layers).ToString();
        const int Longest = 60;
        if (text.Length <= Longest) return text;
        var cut = text.LastIndexOf(',', Longest);
        return $"{text[..(cut > 0 ? cut : Longest)]},... ({layers.Distinct().Count():N0} layers)";
    }

    /// <summary>Compact text: "1-4", "2,5,7", "1-3,6".</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        for (var i = 0; i < _layers.Length;)
        {
            var j = i;
            while (j + 1 < _layers.Length && _layers[j + 1] == _layers[j] + 1) j++;
            parts.Add(j > i ? $"{_layers[i]}-{_layers[j]}" : $"{_layers[i]}");
            i = j + 1;
        }
        return string.Join(",", parts);
    }

    public bool Equals(LayerSet? other) => other is not null && _layers.AsSpan().SequenceEqual(other._layers);
    public override bool Equals(object? obj) => Equals(obj as LayerSet);
    public override int GetHashCode() => _layers.Aggregate(17, (h, l) => h * 31 + l);
}
