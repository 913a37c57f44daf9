using LlamaSteer.Errors;
using LlamaSteer.Gguf;

namespace LlamaSteer.Synthesis;

/// <summary>
/// Gives a synthetic model a working tokenizer by copying every <c>tokenizer.*</c> entry of a donor model, then
/// padding the vocabulary to the model's size with placeholder tokens ("&lt;pad_000600&gt;", type UNUSED, score 0),
/// so that the token list is exactly as long as the embedding has rows. Stateless and thread-safe.
/// </summary>
public static class DonorTokenizer
{
    public const string TokensKey = "tokenizer.ggml.tokens";
    public const string ScoresKey = "tokenizer.ggml.scores";
    public const string TokenTypesKey = "tokenizer.ggml.token_type";

    /// <summary>LLAMA_TOKEN_TYPE_UNUSED in llama.h.</summary>
    public const int UnusedTokenType = 5;

    /// <summary>The number of tokens the donor's vocabulary has.</summary>
    /// <exception cref="ModelSynthesisException">The donor has no token list.</exception>
    public static int VocabularySize(GgufFile donor) => Tokens(donor).Length;

    /// <summary>Copies the donor's tokenizer entries into <paramref name="writer"/>, padded to <paramref name="vocabularySize"/> tokens.</summary>
    /// <exception cref="ModelSynthesisException">The donor has no token list, has more tokens than <paramref name="vocabularySize"/>,
    /// repeats a token (llama.cpp would abort), or has per-token scores or types that do not match its tokens.</exception>
    public static void CopyPadded(GgufFile donor, int vocabularySize, GgufWriter writer)
    {
        ArgumentNullException.ThrowIfNull(donor);
        ArgumentNullException.ThrowIfNull(writer);
        var tokens = Tokens(donor);
        if (vocabularySize < tokens.Length)
            throw new ModelSynthesisException(
                $"The vocabulary size {vocabularySize} is smaller than the {tokens.Length} tokens of the tokenizer donor {donor.FilePath}; ask for at least {tokens.Length}.");
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var token in tokens)
            if (token.Length > 0 && !known.Add(token))
                throw new ModelSynthesisException($"The tokenizer donor {donor.FilePath} lists the token '{token}' twice; llama.cpp cannot load such a vocabulary.");

        foreach (var (key, value) in donor.Metadata)
        {
            if (!key.StartsWith("tokenizer.", StringComparison.Ordinal)) continue;
            writer.Set(key, key switch
            {
                TokensKey => GgufMetadataValue.From(PadTokens(tokens, vocabularySize, known)),
                ScoresKey => PadScores(donor, value, tokens.Length, vocabularySize),
                TokenTypesKey => GgufMetadataValue.From(Pad(PerToken<int>(donor, key, value, tokens.Length, "int32"), vocabularySize, UnusedTokenType)),
                _ => value,
            });
        }
        if (!donor.Metadata.ContainsKey(TokenTypesKey) && vocabularySize > tokens.Length)
        {
            // Without types every token is NORMAL; the placeholders must still be marked unused.
            var types = new int[vocabularySize];
            Array.Fill(types, 1); // LLAMA_TOKEN_TYPE_NORMAL
            Array.Fill(types, UnusedTokenType, tokens.Length, vocabularySize - tokens.Length);
            writer.Set(TokenTypesKey, GgufMetadataValue.From(types));
        }
    }

    private static string[] Tokens(GgufFile donor) =>
        donor.Metadata.TryGetValue(TokensKey, out var value) && value.Value is string[] tokens && tokens.Length > 0
            ? tokens
            : throw new ModelSynthesisException($"The tokenizer donor {donor.FilePath} has no token list ({TokensKey}); use a model file that has a vocabulary.");

    private static string[] PadTokens(string[] tokens, int size, HashSet<string> known)
    {
        var padded = new string[size];
        tokens.CopyTo(padded, 0);
        for (var id = tokens.Length; id < size; id++)
        {
            var placeholder = $"<pad_{id:D6}>";
            while (known.Contains(placeholder)) placeholder = "_" + placeholder; // a donor could hold the same text
            padded[id] = placeholder;
        }
        return padded;
    }

    private static GgufMetadataValue PadScores(GgufFile donor, GgufMetadataValue value, int count, int size) => value.Value switch
    {
        float[] => GgufMetadataValue.From(Pad(PerToken<float>(donor, ScoresKey, value, count, "float32"), size, 0f)),
        int[] => GgufMetadataValue.From(Pad(PerToken<int>(donor, ScoresKey, value, count, "int32"), size, 0)),
        _ => throw WrongPerToken(donor, ScoresKey, value, count, "float32"),
    };

    private static T[] PerToken<T>(GgufFile donor, string key, GgufMetadataValue value, int count, string elementType) =>
        value.Value is T[] array && array.Length == count ? array : throw WrongPerToken(donor, key, value, count, elementType);

    private static ModelSynthesisException WrongPerToken(GgufFile donor, string key, GgufMetadataValue value, int count, string elementType) =>
        new($"The tokenizer donor {donor.FilePath} has {key} of type {value.TypeDescription}; expected {elementType}[{count}], one per token.");

    private static T[] Pad<T>(T[] values, int size, T filler)
    {
        var padded = new T[size];
        values.CopyTo(padded, 0);
        Array.Fill(padded, filler, values.Length, size - values.Length);
        return padded;
    }
}
