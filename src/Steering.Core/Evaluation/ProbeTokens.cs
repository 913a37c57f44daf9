using LlamaSteer.Models;

namespace LlamaSteer.Evaluation;

/// <summary>
/// A pair of next-token candidates whose log-probability difference measures a concept (e.g. "happy"
/// vs "sad"). A word that is several tokens is represented by its first token, as a next-token
/// measurement can only see that one.
/// </summary>
public sealed record ProbeTokens(string PositiveWord, string NegativeWord, int Positive, int Negative)
{
    /// <summary>Resolves words to their first token as they would appear after a space, mid-sentence.</summary>
    /// <exception cref="ArgumentException">Empty words, or both words starting with the same token.</exception>
    public static ProbeTokens Resolve(LlamaModel model, string positive, string negative)
    {
        int First(string w)
        {
            if (string.IsNullOrWhiteSpace(w)) throw new ArgumentException("A probe word is empty.");
            // SentencePiece tokenizers prefix a space themselves; BPE ones need it spelled out.
            var t = model.Tokenize(w.Trim(), addSpecial: false);
            if (model.TokenText(t[0]).StartsWith(' ')) return t[0];
            return model.Tokenize(" " + w.Trim(), addSpecial: false).First(tok => model.TokenText(tok).Trim().Length > 0);
        }
        var p = First(positive);
        var n = First(negative);
        if (p == n) throw new ArgumentException($"'{positive}' and '{negative}' start with the same token; the probe cannot tell them apart.");
        return new ProbeTokens(positive.Trim(), negative.Trim(), p, n);
    }
}
