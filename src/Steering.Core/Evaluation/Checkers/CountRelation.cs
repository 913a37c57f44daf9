using System.Globalization;

namespace LlamaSteer.Evaluation.Checkers;

/// <summary>
/// IFEval's count relations: "at least N" (spelled <c>&gt;=N</c>) and "less than N" (spelled <c>&lt;N</c>);
/// <c>=N</c> means exactly N. Immutable.
/// </summary>
public sealed record CountRelation(string Operator, int Count)
{
    public bool Holds(int n) => Operator switch
    {
        ">=" => n >= Count,
        "<" => n < Count,
        _ => n == Count,
    };

    public override string ToString() => Operator + Count.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses <c>&gt;=N</c>, <c>&lt;N</c> or <c>=N</c> (N a whole number), or returns null.</summary>
    public static CountRelation? TryParse(string text)
    {
        foreach (var op in new[] { ">=", "<", "=" })
            if (text.StartsWith(op, StringComparison.Ordinal)
                && int.TryParse(text[op.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                return new CountRelation(op, n);
        return null;
    }
}
