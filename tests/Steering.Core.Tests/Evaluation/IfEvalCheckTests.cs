using LlamaSteer.Evaluation.Checkers;

namespace LlamaSteer.Core.Tests.Evaluation;

/// <summary>
/// IFEval's verifiers on hand-written responses, strict and loose: each check has a response that passes
/// both, one that fails strict but passes loose (a chat preamble or closing line, or markdown asterisks, in
/// the way), and one that fails both. Pure functions.
/// </summary>
[TestFixture]
public class IfEvalCheckTests
{
    private static (bool Strict, bool Loose) Judge(string spec, string text) =>
        (TextChecks.Parse(spec).Passes(text), TextChecks.Parse("loose:" + spec).Passes(text));

    // spec, response, strict, loose
    [TestCase("uppercase", "THE SUN IS HOT.", true, true)]
    [TestCase("uppercase", "Sure:\nTHE SUN IS HOT.", false, true)]
    [TestCase("uppercase", "THE SUN is HOT.", false, false)]
    [TestCase("lowercase", "the sun is hot.", true, true)]
    [TestCase("lowercase", "Here you go!\nthe sun is hot.", false, true)]
    [TestCase("lowercase", "the Sun is hot.", false, false)]
    [TestCase("capital-words:>=2", "NASA and ESA fly.", true, true)]
    [TestCase("capital-words:>=2", "NASA and I fly.", false, false)]
    [TestCase("capital-words:<2", "Only NASA flies.", true, true)]
    [TestCase("capital-words:<2", "NOTE:\nOnly NASA flies.", false, true)]
    [TestCase("capital-words:<2", "NASA and ESA fly.", false, false)]
    [TestCase("no-commas", "No commas here.", true, true)]
    [TestCase("no-commas", "Well, here:\nNo commas here.", false, true)]
    [TestCase("no-commas", "Red, green and blue.", false, false)]
    [TestCase("letter:z>=3", "Zebras zoom to the zoo.", true, true)]
    [TestCase("letter:z<3", "Zebras zoom to the zoo.", false, false)]
    [TestCase("letter:z<3", "Lazy zebra.\nZebras zoom to the zoo.", false, true)]
    [TestCase("keyword:blue>=2", "Blue sky, blue sea.", true, true)]
    [TestCase("keyword:blue>=2", "Bluebells and a blue sky.", false, false)]
    [TestCase("keyword:blue<2", "One blue sky.\nblue, blue.", false, true)]
    [TestCase("forbidden:cat,dog", "A bird and a catalogue.", true, true)]
    [TestCase("forbidden:cat,dog", "Dog facts:\nA bird sang.", false, true)]
    [TestCase("forbidden:cat,dog", "The Cat sat.", false, false)]
    [TestCase("any-of:dog,cat", "The puppy saw a Cat.", true, true)]
    [TestCase("any-of:dog,cat", "The bird sang.", false, false)]
    [TestCase("paragraphs:2", "First part.\n***\nSecond part.", true, true)]
    [TestCase("paragraphs:2", "First.\n***\nSecond.\n***\nP.S. third", false, true)]
    [TestCase("paragraphs:2", "First.\n***\n\n***\nSecond.", false, false)]
    [TestCase("bullets:2", "* one\n* two", true, true)]
    [TestCase("bullets:2", "* one\n- two\n* three", false, true)]
    [TestCase("bullets:2", "* one", false, false)]
    [TestCase("sections:2", "Section 1\nIntro.\nSection 2\nBody.", true, true)]
    [TestCase("sections:2:SECTION", "SECTION 1 a SECTION 2 b", true, true)]
    [TestCase("sections:2", "Section 1\nIntro only.", false, false)]
    [TestCase("highlights:2", "An *important* and **bold** part.", true, true)]
    [TestCase("highlights:2", "An *important* part and ** ** nothing.", false, false)]
    [TestCase("title", "<<A Poem of Joy>>\nRoses bloom.", true, true)]
    [TestCase("title", "<< >>\nRoses bloom.", false, false)]
    [TestCase("title", "<<\nA Poem>>", false, false)]
    [TestCase("quotation", "\"All of it quoted.\"", true, true)]
    [TestCase("quotation", "Here it is:\n\"All of it quoted.\"", false, true)]
    [TestCase("quotation", "\"Half quoted.", false, false)]
    [TestCase("placeholders:2", "Send it to [name] at [address].", true, true)]
    [TestCase("placeholders:2", "Send it to [name].", false, false)]
    [TestCase("postscript", "Hello.\n\nP.S. See you.", true, true)]
    [TestCase("postscript", "Hello.\n\np. s. see you.", true, true)]
    [TestCase("postscript:P.P.S", "Hello.\nP.P.S. later", true, true)]
    [TestCase("postscript", "Hello, PS see you.", false, false)]
    [TestCase("ends-with:Is there anything else I can help with?", "Done. Is there anything else I can help with?", true, true)]
    [TestCase("ends-with:Is there anything else I can help with?", "Done. Is there anything else I can help with?\n(end)", false, true)]
    [TestCase("ends-with:Is there anything else I can help with?", "Done.", false, false)]
    [TestCase("json", "{\"a\": 1}", true, true)]
    [TestCase("json", "Here is the JSON:\n{\"a\": 1}", false, true)]
    [TestCase("json", "{\"a\": 1", false, false)]
    [TestCase("max-words:3", "one two three", true, true)]
    [TestCase("max-words:3", "Answer:\none two three", false, true)]
    [TestCase("max-words:3", "one two three four five", false, false)]
    [TestCase("include:blue", "The **blue** sky.", true, true)]
    [TestCase("include:blue", "The sky.", false, false)]
    [TestCase("starts-with:My answer is", "**My** answer is yes.", false, true)]
    public void StrictAndLoose(string spec, string response, bool strict, bool loose) =>
        Assert.That(Judge(spec, response), Is.EqualTo((strict, loose)));

    [Test]
    public void LooseTriesIfEvalsEightVariants()
    {
        var variants = LooseCheck.Variants("Sure!\n*body*\nBye").ToArray();
        Assert.That(variants, Is.EqualTo(new[]
        {
            "Sure!\n*body*\nBye", "*body*\nBye", "Sure!\n*body*", "*body*",
            "Sure!\nbody\nBye", "body\nBye", "Sure!\nbody", "body",
        }));
    }

    [TestCase("language:fr", "Il était une fois une petite fille qui aimait jouer dans le parc. Elle avait un chien.", true)]
    [TestCase("language:fr", "Once upon a time there was a little girl who loved to play in the park. She had a dog.", false)]
    [TestCase("language:en", "Once upon a time there was a little girl who loved to play in the park. She had a dog.", true)]
    [TestCase("language:de", "Es war einmal ein kleines Mädchen, das gern im Park spielte. Sie hatte einen Hund.", true)]
    [TestCase("language:de", "", false)]
    public void LanguageIsIdentified(string spec, string response, bool expected)
    {
        Assert.That(TextChecks.Parse(spec).Passes(response), Is.EqualTo(expected));
        // Loose mode: a one-line English preamble does not hide a French answer.
        if (spec == "language:fr" && expected)
            Assert.That(TextChecks.Parse("loose:" + spec).Passes("Here is my answer in French:\n" + response), Is.True);
    }

    [TestCase("paragraphs:0", "at least 1")]
    [TestCase("bullets:x", "whole number")]
    [TestCase("capital-words:3", "count relation")]
    [TestCase("letter:>=3", "one letter")]
    [TestCase("letter:ab>=3", "count relation")]
    [TestCase("keyword:>=3", "a word and a count relation")]
    [TestCase("forbidden:a,,b", "empty word")]
    [TestCase("language:french", "ISO 639-1")]
    [TestCase("language:12", "ISO 639-1")]
    [TestCase("title:x", "takes no argument")]
    [TestCase("sections:2:", "empty section splitter")]
    [TestCase("loose:bogus", "Unknown check")]
    public void BadArgumentsAreOneLineErrors(string spec, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => TextChecks.Parse(spec))!;
        Assert.That(e.Message, Does.Contain(expected).And.Not.Contain("\n"));
    }
}
