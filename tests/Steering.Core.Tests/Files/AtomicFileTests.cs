using LlamaSteer.Files;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Files;

/// <summary>Atomic writes: a failure names the target (never the hidden temporary file) and leaves nothing behind; several files are replaced together.</summary>
[TestFixture]
public class AtomicFileTests
{
    [Test]
    public void A_failed_write_names_the_target_not_the_temporary_file()
    {
        // /proc accepts no new files, not even from root.
        var target = "/proc/llamasteer-atomic-test.gguf";
        var e = Assert.Throws<IOException>(() => AtomicFile.WriteAllText(target, "x"))!;
        Assert.That(e.Message, Does.StartWith($"Cannot write {target}: "));
        Assert.That(e.Message, Does.Not.Contain(".tmp"));
    }

    [Test]
    public void A_cancelled_write_leaves_neither_target_nor_temporary_file()
    {
        var folder = TestPaths.NewTempDirectory();
        try
        {
            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();
            Assert.Throws<OperationCanceledException>(() => AtomicFile.Write(Path.Combine(folder, "out.bin"), s => s.Write(new byte[1000]), cancelled.Token));
            Assert.That(Directory.GetFileSystemEntries(folder), Is.Empty);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public void Several_files_are_written_together_and_replace_older_ones()
    {
        var folder = TestPaths.NewTempDirectory();
        try
        {
            var json = Path.Combine(folder, "r.json");
            var html = Path.Combine(folder, "r.html");
            File.WriteAllText(json, "old");
            AtomicFile.WriteAllTexts([(json, "{}"), (html, "<p>")]);
            Assert.That(File.ReadAllText(json), Is.EqualTo("{}"));
            Assert.That(File.ReadAllText(html), Is.EqualTo("<p>"));
            Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName), Is.EquivalentTo(new[] { "r.json", "r.html" }));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public void When_one_of_several_files_cannot_be_written_none_is_replaced()
    {
        var folder = TestPaths.NewTempDirectory();
        try
        {
            var json = Path.Combine(folder, "r.json");
            File.WriteAllText(json, "old");
            var html = Path.Combine(folder, "r.html");
            Directory.CreateDirectory(html);
            Assert.Throws<IOException>(() => AtomicFile.WriteAllTexts([(json, "{}"), (html, "<p>")]));
            Assert.That(File.ReadAllText(json), Is.EqualTo("old"));
            Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName), Is.EquivalentTo(new[] { "r.json" }), "a temporary file was left");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
