using LlamaSteer.Models;

namespace LlamaSteer.Prompts;

/// <summary>
/// A prompt as a sequence of pieces (text and steering tokens), e.g. <c>[&lt;happy&gt;, "Once upon a time"]</c>.
/// Immutable. <see cref="Prepare"/> turns it into the positions a context decodes.
/// </summary>
public sealed class Prompt
{
    /// <summary>A prompt of the given pieces.</summary>
    /// <exception cref="ArgumentException">No piece, an empty text piece, or a steering token without a name or with a non-finite value.</exception>
    public Prompt(IEnumerable<PromptPiece> pieces)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        Pieces = pieces.ToArray();
        if (Pieces.Count == 0) throw new ArgumentException("The prompt has no piece.", nameof(pieces));
        foreach (var p in Pieces)
            switch (p)
            {
                case TextPiece t when string.IsNullOrEmpty(t.Text): throw new ArgumentException("A text piece of the prompt is empty.", nameof(pieces));
                case EmbeddingPiece e when string.IsNullOrWhiteSpace(e.Name): throw new ArgumentException("A steering token has no name.", nameof(pieces));
                case EmbeddingPiece e when e.Row is null || e.Row.Any(v => !float.IsFinite(v)):
                    throw new ArgumentException($"The steering token '{e.Name}' has no row or a non-finite value.", nameof(pieces));
                case null: throw new ArgumentException("A piece of the prompt is null.", nameof(pieces));
            }
    }

    public IReadOnlyList<PromptPiece> Pieces { get; }

    /// <summary>A prompt of plain text.</summary>
    public static Prompt Text(string text) => new([new TextPiece(text)]);

    /// <summary>The steering tokens in front of <paramref name="text"/>.</summary>
    public static Prompt WithTokens(IEnumerable<EmbeddingPiece> tokens, string text) => new([.. tokens, new TextPiece(text)]);

    /// <summary>True when some piece is a steering token.</summary>
    public bool HasEmbeddings => Pieces.Any(p => p is EmbeddingPiece);

    /// <summary>
    /// The positions to decode: BOS (when <paramref name="addSpecial"/> and the model asks for it), then each piece in
    /// order, text through the tokenizer without special tokens of its own. A text-only prompt prepares exactly as
    /// tokenizing its text with <paramref name="addSpecial"/> does.
    /// </summary>
    /// <exception cref="ArgumentException">A steering token whose width is not the model's n_embd, or a prompt with no position.</exception>
    public PreparedPrompt Prepare(LlamaModel model, bool addSpecial = true, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (Pieces is [TextPiece only]) return new PreparedPrompt(model.Tokenize(only.Text, addSpecial, parseSpecial), new Dictionary<int, float[]>());
        var tokens = new List<int>(addSpecial ? model.Tokenize("", addSpecial: true) : []);
        var rows = new Dictionary<int, float[]>();
        foreach (var piece in Pieces)
        {
            if (piece is TextPiece t)
            {
                tokens.AddRange(model.Tokenize(t.Text, addSpecial: false, parseSpecial));
                continue;
            }
            var e = (EmbeddingPiece)piece;
            if (e.Row.Length != model.EmbeddingSize)
                throw new ArgumentException($"The steering token '{e.Name}' has {e.Row.Length} values but the model's n_embd is {model.EmbeddingSize}.");
            rows[tokens.Count] = e.Row;
            tokens.Add(PreparedPrompt.EmbeddingSlot);
        }
        if (tokens.Count == 0) throw new ArgumentException("The prompt produced no tokens.");
        return new PreparedPrompt([.. tokens], rows);
    }

    public override string ToString() => string.Concat(Pieces.Select(p => p is TextPiece t ? t.Text : p.ToString()));
}
