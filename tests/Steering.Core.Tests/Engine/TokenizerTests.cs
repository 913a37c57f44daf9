using LlamaSteer.Models;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Engine;

[TestFixture]
public class TokenizerTests
{
    private LlamaModel _model = null!;

    [OneTimeSetUp] public void Load() => _model = SharedModel.Model;

    [TestCase("Once upon a time, there was a little girl named Lily.")]
    [TestCase("Tim and Sue went to the park. They were happy!")]
    [TestCase("a")]
    public void DetokenizeInvertsTokenize(string text)
    {
        var tokens = _model.Tokenize(text, addSpecial: false);
        Assert.That(tokens, Is.Not.Empty);
        // The SentencePiece tokenizer adds a leading space itself (models/README.md).
        Assert.That(_model.Detokenize(tokens).TrimStart(), Is.EqualTo(text));
    }

    [Test]
    public void AddSpecialPrependsBos()
    {
        var with = _model.Tokenize("happy", addSpecial: true);
        var without = _model.Tokenize("happy", addSpecial: false);
        Assert.That(with, Has.Length.EqualTo(without.Length + 1));
        Assert.That(with.Skip(1), Is.EqualTo(without));
    }

    [Test]
    public void KnownSingleTokenWordsAreSingleTokens()
    {
        // Recorded facts from models/README.md: " happy", " Lily", " Tim" are single tokens.
        foreach (var word in new[] { "happy", "Lily", "Tim" })
            Assert.That(_model.Tokenize(word, addSpecial: false), Has.Length.EqualTo(1), word);
        Assert.That(_model.Tokenize("sad", addSpecial: false), Has.Length.GreaterThan(1));
    }

    [Test]
    public void TokenPiecesConcatenateToTheText()
    {
        var tokens = _model.Tokenize("Lily saw a big red ball", addSpecial: false);
        var joined = string.Concat(tokens.Select(_model.TokenText));
        Assert.That(joined.TrimStart(), Is.EqualTo("Lily saw a big red ball"));
    }
}
