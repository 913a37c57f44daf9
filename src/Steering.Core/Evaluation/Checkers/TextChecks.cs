using System.Globalization;

namespace LlamaSteer.Evaluation.Checkers;

/// <summary>
/// Builds checks from their command-line spelling (<c>--check lowercase --check max-words:50</c>); a
/// <c>loose:</c> prefix wraps a check in IFEval's loose mode (<see cref="LooseCheck"/>).
/// </summary>
public static class TextChecks
{
    /// <summary>The spellings <see cref="Parse"/> knows, for help and error messages.</summary>
    public const string Known =
        "lowercase, uppercase, json, no-commas, title, quotation, max-words:N, min-words:N, max-sentences:N, min-sentences:N, " +
        "paragraphs:N, bullets:N, sections:N[:SPLITTER], highlights:N, placeholders:N, postscript[:MARKER], " +
        "capital-words:>=N|<N, letter:L>=N|<N, keyword:WORD>=N|<N, include:WORD, exclude:WORD, forbidden:W1,W2, any-of:W1,W2, " +
        "starts-with:TEXT, ends-with:TEXT, language:ISO-CODE; prefix loose: for IFEval's loose mode";

    /// <exception cref="ArgumentException">An unknown check, a missing or bad argument; the message lists the known checks.</exception>
    public static ITextCheck Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        const string loose = "loose:";
        if (spec.TrimStart().StartsWith(loose, StringComparison.OrdinalIgnoreCase))
            return new LooseCheck(Parse(spec.TrimStart()[loose.Length..]));
        var colon = spec.IndexOf(':');
        var name = (colon < 0 ? spec : spec[..colon]).Trim().ToLowerInvariant();
        var arg = colon < 0 ? null : spec[(colon + 1)..];
        ITextCheck check = name switch
        {
            "lowercase" => NoArgument(new LowercaseCheck()),
            "uppercase" => NoArgument(new UppercaseCheck()),
            "json" => NoArgument(new JsonCheck()),
            "no-commas" => NoArgument(new NoCommaCheck()),
            "title" => NoArgument(new TitleCheck()),
            "quotation" => NoArgument(new QuotationCheck()),
            "max-words" => new WordCountCheck(null, Count()),
            "min-words" => new WordCountCheck(Count(), null),
            "max-sentences" => new SentenceCountCheck(null, Count()),
            "min-sentences" => new SentenceCountCheck(Count(), null),
            "paragraphs" => new ParagraphCountCheck(Positive(Count())),
            "bullets" => new BulletCountCheck(Count()),
            "sections" => Sections(),
            "highlights" => new HighlightCountCheck(Positive(Count())),
            "placeholders" => new PlaceholderCountCheck(Positive(Count())),
            "postscript" => arg is null ? new PostscriptCheck() : new PostscriptCheck(Text()),
            "capital-words" => new CapitalWordCheck(Relation(Text(), "capital-words:>=N or capital-words:<N")),
            "letter" => Letter(),
            "keyword" => KeywordFrequency(),
            "include" => new KeywordCheck(Text(), true),
            "exclude" => new KeywordCheck(Text(), false),
            "forbidden" => new ForbiddenWordsCheck(List()),
            "any-of" => new AnyOfCheck(List()),
            "starts-with" => new PhraseCheck(Text(), true),
            "ends-with" => new PhraseCheck(Text(), false),
            "language" => new LanguageCheck(Text()),
            _ => throw new ArgumentException($"Unknown check '{spec}'. Known: {Known}."),
        };
        return check;

        ITextCheck NoArgument(ITextCheck c) =>
            arg is null ? c : throw new ArgumentException($"The check '{name}' takes no argument (got '{spec}').");

        int Count() =>
            int.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new ArgumentException($"The check '{spec}' needs a whole number: {name}:N.");

        int Positive(int n) => n >= 1 ? n : throw new ArgumentException($"The check '{spec}' needs a count of at least 1.");

        string Text() =>
            !string.IsNullOrWhiteSpace(arg) ? arg.Trim() : throw new ArgumentException($"The check '{spec}' needs text: {name}:TEXT.");

        IReadOnlyList<string> List()
        {
            var words = Text().Split(',', StringSplitOptions.TrimEntries);
            return words.All(w => w.Length > 0) ? words : throw new ArgumentException($"The check '{spec}' has an empty word: {name}:W1,W2.");
        }

        CountRelation Relation(string text, string usage) =>
            CountRelation.TryParse(text) ?? throw new ArgumentException($"The check '{spec}' needs a count relation: {usage}.");

        ITextCheck Sections()
        {
            var parts = Text().Split(':', 2);
            arg = parts[0];
            var n = Positive(Count());
            if (parts.Length == 1) return new SectionCountCheck(n);
            return parts[1].Trim().Length > 0 ? new SectionCountCheck(n, parts[1].Trim()) : throw new ArgumentException($"The check '{spec}' has an empty section splitter: sections:N:SPLITTER.");
        }

        ITextCheck Letter()
        {
            var t = Text();
            return t.Length >= 2 && char.IsLetter(t[0]) ? new LetterFrequencyCheck(t[0], Relation(t[1..], "letter:a>=N or letter:a<N"))
                : throw new ArgumentException($"The check '{spec}' needs one letter and a count relation: letter:a>=N or letter:a<N.");
        }

        ITextCheck KeywordFrequency()
        {
            var t = Text();
            var at = t.IndexOfAny(['>', '<', '=']);
            return at > 0 && t[..at].Trim().Length > 0 ? new KeywordFrequencyCheck(t[..at].Trim(), Relation(t[at..], "keyword:WORD>=N or keyword:WORD<N"))
                : throw new ArgumentException($"The check '{spec}' needs a word and a count relation: keyword:WORD>=N or keyword:WORD<N.");
        }
    }
}
