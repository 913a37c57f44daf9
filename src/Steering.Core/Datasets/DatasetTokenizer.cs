using LlamaSteer.Capture;
using LlamaSteer.Chat;
using LlamaSteer.Models;

namespace LlamaSteer.Datasets;

/// <summary>
/// Turns a <see cref="ContrastiveDataset"/> into token sequences for a model and checks that every pair
/// can contrast anything there. Stateless; thread-safe.
/// </summary>
/// <remarks>
/// Where the completion starts: the prompt (with BOS, and with chat markup when wrapped) is tokenized
/// alone and so is the whole text; the completion starts at the length of the longest common prefix of
/// the two. Tokenizing prompt and completion together can merge tokens across the boundary, so a token
/// that spans it counts as completion. Instruction pairs have no completion: extraction reads the
/// last token, where the model is about to answer, so CompletionStart is the last token's index.
/// </remarks>
public static class DatasetTokenizer
{
    /// <exception cref="DatasetFormatException">A pair whose sides tokenize identically, a side longer than <see cref="DatasetTokenizerOptions.MaxTokens"/>, or a completion that adds no token (the message names the line).</exception>
    /// <exception cref="Errors.LlamaSteerException">With Chat: the model has no chat template and none was named, or llama.cpp does not support it.</exception>
    public static TokenizedDataset Tokenize(LlamaModel model, ContrastiveDataset dataset, DatasetTokenizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(dataset);
        options ??= new DatasetTokenizerOptions();
        options.Validate();
        var source = dataset.SourcePath ?? dataset.Name;
        var positives = new List<CaptureItem>(dataset.Pairs.Count);
        var negatives = new List<CaptureItem>(dataset.Pairs.Count);
        foreach (var pair in dataset.Pairs)
        {
            var positive = Side(model, dataset.Kind, pair, pair.Positive, "positive", options, source);
            var negative = Side(model, dataset.Kind, pair, pair.Negative, "negative", options, source);
            if (positive.Tokens.AsSpan().SequenceEqual(negative.Tokens))
                throw new DatasetFormatException(source, pair.LineNumber, $"positive and negative tokenize identically ({positive.Tokens.Length} tokens); the model cannot tell them apart.");
            positives.Add(positive);
            negatives.Add(negative);
        }
        return new TokenizedDataset(dataset, positives, negatives);
    }

    private static CaptureItem Side(LlamaModel model, DatasetKind kind, ContrastivePair pair, string text, string side, DatasetTokenizerOptions options, string source)
    {
        string prefix, full;
        if (kind == DatasetKind.Instruction)
        {
            full = options.Chat ? UserTurn(model, text, options) : text;
            prefix = full;
        }
        else if (pair.Prompt is { } prompt)
        {
            prefix = options.Chat ? UserTurn(model, prompt, options) : prompt;
            full = prefix + text;
        }
        else if (options.Chat)
        {
            full = UserTurn(model, text, options);
            // Templates may trim the message; read from where its text starts, else from after BOS.
            var at = full.IndexOf(text.Trim(), StringComparison.Ordinal);
            prefix = at >= 0 ? full[..at] : "";
        }
        else
        {
            full = text;
            prefix = "";
        }

        var tokens = TokenizeText(model, full, options.Chat);
        if (tokens.Length > options.MaxTokens)
            throw new DatasetFormatException(source, pair.LineNumber, $"{tokens.Length} tokens, at most {options.MaxTokens} fit ({side} side); shorten the pair or raise the limit.");
        if (kind == DatasetKind.Instruction) return new CaptureItem(tokens, tokens.Length - 1);

        var start = TokenizeText(model, prefix, options.Chat).AsSpan().CommonPrefixLength(tokens);
        if (start >= tokens.Length)
            throw new DatasetFormatException(source, pair.LineNumber, $"the {side} text adds no tokens after the prompt.");
        return new CaptureItem(tokens, start);
    }

    private static string UserTurn(LlamaModel model, string content, DatasetTokenizerOptions options) =>
        ChatFormatter.Format(model, [new ChatMessage("user", content)], options.ChatTemplate);

    private static int[] TokenizeText(LlamaModel model, string text, bool chat)
    {
        var tokens = model.Tokenize(text, addSpecial: true, parseSpecial: chat);
        // A template that writes BOS itself plus the tokenizer's own BOS would give two; keep one.
        if (chat && model.Handle.AddsBos && tokens.Length >= 2 && tokens[0] == model.Handle.BosToken && tokens[1] == tokens[0])
            return tokens[1..];
        return tokens;
    }
}
