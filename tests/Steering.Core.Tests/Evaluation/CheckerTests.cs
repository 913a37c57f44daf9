using LlamaSteer.Evaluation;
using LlamaSteer.Evaluation.Checkers;

namespace LlamaSteer.Core.Tests.Evaluation;

/// <summary>IFEval-style checks and keyword counting: pure functions.</summary>
[TestFixture]
public class CheckerTests
{
    private static bool Passes(string spec, string text) => TextChecks.Parse(spec).Passes(text);

    [TestCase("all of this is lowercase, even 42 and ü.", true)]
    [TestCase("One capital letter", false)]
    [TestCase("an ÉCOLE", false)]
    [TestCase("ǅ is title case", false)]
    [TestCase("1234 !!", false)]
    [TestCase("", false)]
    public void Lowercase(string text, bool expected) => Assert.That(Passes("lowercase", text), Is.EqualTo(expected));

    [TestCase("one two three", 3)]
    [TestCase("  don't split well-known words or numbers like 35  ", 8)]
    [TestCase("3.5", 2)]
    [TestCase("", 0)]
    [TestCase("... !!! ---", 0)]
    public void WordsAreCounted(string text, int words) => Assert.That(TextMeasures.Words(text), Is.EqualTo(words));

    [TestCase("One. Two! Three? Four", 4)]
    [TestCase("Wait... what?! Yes.", 3)]
    [TestCase("He paid 3.50 for it. Then left.", 2)]
    [TestCase("She said \"hi.\" He left.", 2)]
    [TestCase("no punctuation at all", 1)]
    [TestCase("   ", 0)]
    public void SentencesAreCounted(string text, int sentences) => Assert.That(TextMeasures.Sentences(text), Is.EqualTo(sentences));

    [TestCase("max-words:3", "one two three", true)]
    [TestCase("max-words:3", "one two three four", false)]
    [TestCase("min-words:2", "one", false)]
    [TestCase("min-words:2", "one two", true)]
    [TestCase("max-sentences:2", "One. Two.", true)]
    [TestCase("max-sentences:2", "One. Two. Three.", false)]
    [TestCase("min-sentences:2", "Only one.", false)]
    public void LengthBoundsAreInclusive(string spec, string text, bool expected) => Assert.That(Passes(spec, text), Is.EqualTo(expected));

    [TestCase("include:blue", "The sky was Blue.", true)]
    [TestCase("include:blue", "Bluebells grew there.", true)]
    [TestCase("include:blue", "It was green.", false)]
    [TestCase("include:ice cream", "They ate ICE CREAM.", true)]
    [TestCase("exclude:sad", "He was sad.", false)]
    [TestCase("exclude:sad", "A saddle is not sad... wait", false)]
    [TestCase("exclude:sad", "The saddle was new.", false)]
    [TestCase("exclude:sad", "Nothing here.", true)]
    public void Keywords(string spec, string text, bool expected) => Assert.That(Passes(spec, text), Is.EqualTo(expected));

    [TestCase("{\"a\": [1, 2, {\"b\": null}]}", true)]
    [TestCase("  [1, 2]  ", true)]
    [TestCase("```json\n{\"answer\": \"yes\"}\n```", true)]
    [TestCase("```\n{\"answer\": \"yes\"}\n```", true)]
    [TestCase("Here is JSON: {\"a\": 1}", false)]
    [TestCase("{\"a\": 1", false)]
    [TestCase("", false)]
    public void Json(string text, bool expected) => Assert.That(Passes("json", text), Is.EqualTo(expected));

    [TestCase("starts-with:Dear friend", "dear Friend, hello.", true)]
    [TestCase("starts-with:Dear friend", "Hello, dear friend.", false)]
    [TestCase("ends-with:Any other questions?", "That is all. Any other questions?  \n", true)]
    [TestCase("ends-with:Any other questions?", "Any other questions? No.", false)]
    public void Phrases(string spec, string text, bool expected) => Assert.That(Passes(spec, text), Is.EqualTo(expected));

    [TestCase("shout", "Unknown check 'shout'")]
    [TestCase("max-words", "needs a whole number")]
    [TestCase("max-words:-3", "needs a whole number")]
    [TestCase("max-words:many", "needs a whole number")]
    [TestCase("include:", "needs text")]
    [TestCase("lowercase:yes", "takes no argument")]
    public void BadSpecsAreRefusedWithTheKnownChecks(string spec, string message) =>
        Assert.That(() => TextChecks.Parse(spec), Throws.ArgumentException.With.Message.Contains(message));

    [Test]
    public void ChecksAreNamedAsSpelled()
    {
        foreach (var spec in new[] { "lowercase", "json", "max-words:50", "min-sentences:2", "include:blue", "ends-with:Bye." })
            Assert.That(TextChecks.Parse(spec).Name, Is.EqualTo(spec));
    }

    [Test]
    public void KeywordsCountAtWordStartsCaseInsensitively()
    {
        var k = new Keywords(["happy", "smile", "glad"]);
        Assert.That(k.Count("Happy Tim smiled and smiles. Glad! unhappy, gladly"), Is.EqualTo(5));
        Assert.That(k.AnyIn("He was unhappy."), Is.False);
        Assert.That(k.AnyIn("A big SMILE."), Is.True);
        Assert.That(() => new Keywords(["ok", " "]), Throws.ArgumentException);
    }
}
