using Lingua;

namespace LlamaSteer.Evaluation.Checkers;

/// <summary>
/// "Your entire response should be in LANGUAGE, no other language is allowed" (IFEval
/// language:response_language, which runs langdetect): the language Lingua (SearchPioneer.Lingua, its
/// n-gram models over all 75 languages it knows) identifies is the one named by its ISO 639-1 code. Lingua
/// runs in its low-accuracy mode (trigram models only): it loads in seconds where the full models take over a
/// minute, and it judges a paragraph well but can misjudge a single short sentence (one plain English sentence
/// came out as German). The detector is built once per process on first use; thread-safe.
/// </summary>
public sealed record LanguageCheck : ITextCheck
{
    private static readonly Lazy<LanguageDetector> Detector =
        new(() => LanguageDetectorBuilder.FromAllLanguages().WithLowAccuracyMode().Build(), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <exception cref="ArgumentException">A code that is not an ISO 639-1 code of a language Lingua knows.</exception>
    public LanguageCheck(string isoCode)
    {
        ArgumentNullException.ThrowIfNull(isoCode);
        var code = isoCode.Trim();
        if (code.Length != 2 || !code.All(char.IsAsciiLetter) || !Enum.TryParse<IsoCode6391>(code, ignoreCase: true, out var iso) || iso == IsoCode6391.None)
            throw new ArgumentException($"The check 'language:{isoCode}' needs a two-letter ISO 639-1 language code such as en, fr or de.");
        Language = LanguageInfo.GetByIsoCode6391(iso);
        IsoCode = code.ToLowerInvariant();
    }

    public Language Language { get; }

    public string IsoCode { get; }

    public string Name => "language:" + IsoCode;

    public bool Passes(string text) => text.Trim().Length > 0 && Detector.Value.DetectLanguageOf(text) == Language;
}
