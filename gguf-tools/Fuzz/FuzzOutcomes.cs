using System.Text.RegularExpressions;

namespace LlamaSteer.GgufTools.Fuzz;

/// <summary>What the fuzz cases came to: loaded and generated, refused with a one-line message (grouped by message shape), or unexpected (a bug).</summary>
internal sealed partial class FuzzOutcomes
{
    private readonly Dictionary<string, int> _refusals = new(StringComparer.Ordinal);

    public int Cases { get; private set; }
    public int ModelCases { get; private set; }
    public int VectorCases { get; private set; }
    public int Generated { get; private set; }
    public int Refused { get; private set; }
    public List<string> Unexpected { get; } = [];

    public void Count(bool model)
    {
        Cases++;
        if (model) ModelCases++;
        else VectorCases++;
    }

    public void Succeeded() => Generated++;

    public void Refusal(string line, string casePath)
    {
        Refused++;
        // Group by shape: the case file's name and numbers vary between cases.
        var shape = Digits().Replace(line.Replace(casePath, "FILE", StringComparison.Ordinal), "#");
        if (shape.Length > 110) shape = shape[..110] + "...";
        _refusals[shape] = _refusals.GetValueOrDefault(shape) + 1;
    }

    public IEnumerable<(string Shape, int Count)> TopRefusals(int count) =>
        _refusals.OrderByDescending(kv => kv.Value).Take(count).Select(kv => (kv.Key, kv.Value));

    public int RefusalKinds => _refusals.Count;

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Digits();
}
