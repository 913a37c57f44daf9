using System.Globalization;

namespace LlamaSteer.Evaluation.Checkers;

/// <summary>Builds checks from their command-line spelling (<c>--check lowercase --check max-words:50</c>).</summary>
public static class TextChecks
{
    /// <summary>The spellings <see cref="Parse"/> knows, for help and error messages.</summary>
    public const string Known = "lowercase, json, max-words:N, min-words:N, max-sentences:N, min-sentences:N, include:WORD, exclude:WORD, starts-with:TEXT, ends-with:TEXT";

    /// <exception cref="ArgumentException">An unknown check, a missing or bad argument; the message lists the known checks.</exception>
    public static ITextCheck Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var colon = spec.IndexOf(':');
        var name = (colon < 0 ? spec : spec[..colon]).Trim().ToLowerInvariant();
        var arg = colon < 0 ? null : spec[(colon + 1)..];
        ITextCheck check = name switch
        {
            "lowercase" => NoArgument(new LowercaseCheck()),
            "json" => NoArgument(new JsonCheck()),
            "max-words" => new WordCountCheck(null, Count()),
            "min-words" => new WordCountCheck(Count(), null),
            "max-sentences" => new SentenceCountCheck(null, Count()),
            "min-sentences" => new SentenceCountCheck(Count(), null),
            "include" => new KeywordCheck(Text(), true),
            "exclude" => new KeywordCheck(Text(), false),
            "starts-with" => new PhraseCheck(Text(), true),
            "ends-with" => new PhraseCheck(Text(), false),
            _ => throw new ArgumentException($"Unknown check '{spec}'. Known: {Known}."),
        };
        return check;

        ITextCheck NoArgument(ITextCheck c) =>
            arg is null ? c : throw new ArgumentException($"The check '{name}' takes no argument (got '{spec}').");

        int Count() =>
            int.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new ArgumentException($"The check '{spec}' needs a whole number: {name}:N.");

        string Text() =>
            !string.IsNullOrWhiteSpace(arg) ? arg.Trim() : throw new ArgumentException($"The check '{spec}' needs text: {name}:TEXT.");
    }
}
