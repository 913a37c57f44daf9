using LlamaSteer.Evaluation.Checkers;

namespace LlamaSteer.Core.Tests.Evaluation;

/// <summary>
/// The behaviour checkers' edges that CheckerTests and IfEvalCheckTests leave open: the name every spelling reports (it is
/// what eval reports and instruction sets print), the boundaries of the count checks, half-fenced JSON, the P.P.S. and
/// custom postscript markers, whole-word matching, and the messages of bad specs.
/// </summary>
[TestFixture]
public class CheckerContractTests
{
    private static bool Passes(string spec, string text) => TextChecks.Parse(spec).Passes(text);

    [TestCase("lowercase", "lowercase")]
    [TestCase("UPPERCASE", "uppercase")]
    [TestCase("json", "json")]
    [TestCase("no-commas", "no-commas")]
    [TestCase("title", "title")]
    [TestCase("quotation", "quotation")]
    [TestCase("max-words:10", "max-words:10")]
    [TestCase("min-words:3", "min-words:3")]
    [TestCase("max-sentences:2", "max-sentences:2")]
    [TestCase("min-sentences:1", "min-sentences:1")]
    [TestCase("paragraphs:1", "paragraphs:1")]
    [TestCase("bullets:0", "bullets:0")]
    [TestCase("sections:2", "sections:2")]
    [TestCase("sections:3:Chapter", "sections:3:Chapter")]
    [TestCase("highlights:2", "highlights:2")]
    [TestCase("placeholders:1", "placeholders:1")]
    [TestCase("postscript", "postscript")]
    [TestCase("postscript:P.P.S", "postscript:P.P.S")]
    [TestCase("capital-words:>=3", "capital-words:>=3")]
    [TestCase("letter:a<4", "letter:a<4")]
    [TestCase("keyword:cat=2", "keyword:cat=2")]
    [TestCase("include:blue", "include:blue")]
    [TestCase("exclude:sad", "exclude:sad")]
    [TestCase("forbidden:a, b", "forbidden:a,b")]
    [TestCase("any-of:dog,cat", "any-of:dog,cat")]
    [TestCase("starts-with:Dear", "starts-with:Dear")]
    [TestCase("ends-with:Bye.", "ends-with:Bye.")]
    [TestCase("language:FR", "language:fr")]
    [TestCase("loose:max-words:5", "loose:max-words:5")]
    public void EverySpellingReportsItsCanonicalName(string spec, string name) =>
        Assert.That(TextChecks.Parse(spec).Name, Is.EqualTo(name));

    [TestCase("uppercase", "SHOUTING IS LOUD", true)]
    [TestCase("uppercase", "AB", true)]
    [TestCase("uppercase", "123 !!", false)]
    [TestCase("uppercase", "", false)]
    [TestCase("uppercase", "MOSTLY UPPER but not all", false)]
    [TestCase("capital-words:>=2", "The UN met NASA2 today", true)]
    [TestCase("capital-words:>=2", "The UN met I and A today", false)]
    [TestCase("capital-words:<1", "Only Capitalised Words", true)]
    [TestCase("letter:a>=3", "A banana", true)]
    [TestCase("letter:a>=5", "A banana", false)]
    [TestCase("keyword:cat=2", "A cat and a Cat, not a category.", true)]
    [TestCase("keyword:cat=2", "A cat.", false)]
    [TestCase("keyword:cat>=1", "cats and a category", false)]
    [TestCase("forbidden:cat", "A bobcat and a category of cats.", true)]
    [TestCase("forbidden:cat", "The cat sat.", false)]
    [TestCase("forbidden:cat", "_cat_ is a word part.", true)]
    public void CountsAndWordsFollowIfEvalsRules(string spec, string text, bool expected) =>
        Assert.That(Passes(spec, text), Is.EqualTo(expected));

    [TestCase("One\n***\nTwo\n***", true)]
    [TestCase("***\nOne\n***\nTwo", true)]
    [TestCase("One\n***\n\n***\nTwo", false)]
    [TestCase("One\n***\nTwo\n***\nThree", false)]
    public void AnEmptyFirstOrLastParagraphDoesNotCount(string text, bool expected) =>
        Assert.That(Passes("paragraphs:2", text), Is.EqualTo(expected));

    [TestCase("sections:2", "Section 1 intro. Section 2 more.", true)]
    [TestCase("sections:2", "Section one and Section two.", false)]
    [TestCase("sections:2:Chapter", "Chapter 1 a Chapter 2 b", true)]
    [TestCase("sections:2:Chapter", "Section 1 a Section 2 b", false)]
    public void SectionsAreMarkedByTheSplitterAndANumber(string spec, string text, bool expected) =>
        Assert.That(Passes(spec, text), Is.EqualTo(expected));

    [TestCase("\"\"", true)]
    [TestCase("\"", false)]
    [TestCase("  \"quoted\"  ", true)]
    public void AQuotationNeedsAnOpeningAndAClosingMark(string text, bool expected) =>
        Assert.That(Passes("quotation", text), Is.EqualTo(expected));

    [TestCase("```[1]```", true)]
    [TestCase("```json\n[1]\n```", true)]
    [TestCase("```[1]abc", false)]
    [TestCase("abc[1]```", false)]
    [TestCase("```{\"a\":\n1}```", true)]
    public void OnlyAWholeFenceIsRemovedAndOnlyAWordAfterItIsATag(string text, bool expected) =>
        Assert.That(Passes("json", text), Is.EqualTo(expected));

    [TestCase("postscript:P.P.S", "Bye.\nP. P. S. one more thing", true)]
    [TestCase("postscript:P.P.S.", "Bye.\np. p.s. one more thing", true)]
    [TestCase("postscript:P.P.S", "Bye.\nP.S. one thing", false)]
    [TestCase("postscript:NOTE", "Bye.\nnote: remember", true)]
    [TestCase("postscript:NOTE", "Bye.", false)]
    [TestCase("postscript", "Bye.\nP. S. one thing", true)]
    public void PostscriptMarkersAllowIfEvalsSpacesAndAnyMarkerMayBeNamed(string spec, string text, bool expected) =>
        Assert.That(Passes(spec, text), Is.EqualTo(expected));

    [TestCase("capital-words:x", "The check 'capital-words:x' needs a count relation: capital-words:>=N or capital-words:<N.")]
    [TestCase("letter:a=", "The check 'letter:a=' needs a count relation: letter:a>=N or letter:a<N.")]
    [TestCase("letter:7>=2", "The check 'letter:7>=2' needs one letter and a count relation: letter:a>=N or letter:a<N.")]
    [TestCase("keyword:cat", "The check 'keyword:cat' needs a word and a count relation: keyword:WORD>=N or keyword:WORD<N.")]
    [TestCase("keyword:cat>x", "The check 'keyword:cat>x' needs a count relation: keyword:WORD>=N or keyword:WORD<N.")]
    [TestCase("paragraphs:0", "The check 'paragraphs:0' needs a count of at least 1.")]
    public void BadArgumentsNameTheCheckAndItsSpelling(string spec, string message) =>
        Assert.That(() => TextChecks.Parse(spec), Throws.ArgumentException.With.Message.EqualTo(message));

    [Test]
    public void NullIsRefusedAsAnArgument()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => TextChecks.Parse(null!), Throws.ArgumentNullException);
            Assert.That(() => new LanguageCheck(null!), Throws.ArgumentNullException);
            Assert.That(() => new LowercaseCheck().Passes(null!), Throws.ArgumentNullException);
            Assert.That(() => new UppercaseCheck().Passes(null!), Throws.ArgumentNullException);
            Assert.That(() => LooseCheck.Variants(null!).ToList(), Throws.ArgumentNullException);
        });
    }
}
