using System.Text.Json;

namespace LlamaSteer.Evaluation.Checkers;

/// <summary>
/// "Wrap the entire output in JSON format" (IFEval detectable_format:json_format): the response, trimmed
/// and with one surrounding Markdown code fence (```json ... ```) removed, parses as a JSON value.
/// </summary>
public sealed record JsonCheck : ITextCheck
{
    public string Name => "json";

    public bool Passes(string text)
    {
        var t = Unfence(text.Trim());
        if (t.Length == 0) return false;
        try
        {
            using var _ = JsonDocument.Parse(t);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Unfence(string t)
    {
        if (!t.StartsWith("```", StringComparison.Ordinal) || !t.EndsWith("```", StringComparison.Ordinal) || t.Length < 6) return t;
        var body = t[3..^3];
        var newline = body.IndexOf('\n');
        // The rest of the opening fence line is a language tag ("json").
        if (newline >= 0 && body[..newline].Trim().All(char.IsLetter)) body = body[(newline + 1)..];
        return body.Trim();
    }
}
