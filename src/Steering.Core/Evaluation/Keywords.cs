using System.Text.RegularExpressions;

namespace LlamaSteer.Evaluation;

/// <summary>
/// Counts keywords in text the way a reader would spot a concept: case-insensitively, where a word
/// starts (so "smile" counts in "Smiled" and "smiles", "happy" does not count in "unhappy"). A keyword
/// may hold spaces ("ice cream"). Pure; thread-safe.
/// </summary>
public sealed class Keywords
{
    private readonly Regex[] _patterns;

    /// <exception cref="ArgumentException">An empty keyword.</exception>
    public Keywords(IEnumerable<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        Words = words.Select(w => w.Trim()).ToArray();
        if (Words.Any(w => w.Length == 0)) throw new ArgumentException("A keyword is empty.");
        _patterns = Words.Select(Pattern).ToArray();
    }

    public IReadOnlyList<string> Words { get; }

    /// <summary>Occurrences of every keyword, summed.</summary>
    public int Count(string text) => _patterns.Sum(p => p.Count(text));

    /// <summary>Whether any keyword occurs.</summary>
    public bool AnyIn(string text) => _patterns.Any(p => p.IsMatch(text));

    /// <summary>Occurrences of one word at a word start, case-insensitively.</summary>
    public static int Count(string text, string word) => Pattern(word.Trim()).Count(text);

    private static Regex Pattern(string word) =>
        new(@"(?<![\p{L}\p{N}_])" + Regex.Escape(word), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
}
