using LlamaSteer.Files;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Files;

/// <summary>Atomic writes: a failure names the target (never the hidden temporary file) and leaves nothing behind; several files are replaced together.</summary>
[TestFixture]
public class AtomicFileTests
{
    [Test]
    public void AFailedWriteNamesTheTargetNotTheTemporaryFile()
    {
        // /proc accepts no new files, not even from root.
        var target = "/proc/llamasteer-atomic-test.gguf";
        var e = Assert.Throws<IOException>(() => AtomicFile.WriteAllText(target, "x"))!;
        Assert.That(e.Message, Does.StartWith($"Cannot write {target}: "));
        Assert.That(e.Message, Does.Not.Contain(".tmp"));
    }

    [Test]
    public void AWriteThatFailsMidwayKeepsTheOldFileAndLeavesNoTemporaryFile()
    {
        var folder = TestPaths.NewTempDirectory();
        try
        {
            var target = Path.Combine(folder, "vector.gguf");
            var original = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();
            File.WriteAllBytes(target, original);
            FailingAfter? failing = null;
            // 200 kB in 4 kB pieces through a stream that fails after 100 kB: the device filling up mid-write.
            var e = Assert.Throws<IOException>(() => AtomicFile.Write(target, stream =>
            {
                failing = new FailingAfter(stream, 100_000);
                for (var i = 0; i < 50; i++) failing.Write(new byte[4096]);
            }))!;
            Assert.That(failing!.Written, Is.EqualTo(24 * 4096), "the failure came mid-write, after 24 pieces reached the temporary file");
            Assert.That(e.Message, Is.EqualTo($"Cannot write {target}: the disk is full."));
            Assert.That(File.ReadAllBytes(target), Is.EqualTo(original), "the file already there was changed");
            Assert.That(Directory.GetFileSystemEntries(folder).Select(Path.GetFileName), Is.EqualTo(new[] { "vector.gguf" }), "a temporary file was left");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Passes writes through to the real file until <paramref name="limit"/> bytes have gone, then fails as a full disk does.</summary>
    private sealed class FailingAfter(Stream inner, long limit) : Stream
    {
        public long Written { get; private set; }

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (Written + count > limit) throw new IOException("No space left on device");
            inner.Write(buffer, offset, count);
            Written += count;
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [Test]
    public void ACancelledWriteLeavesNeitherTargetNorTemporaryFile()
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
    public void SeveralFilesAreWrittenTogetherAndReplaceOlderOnes()
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
    public void WhenOneOfSeveralFilesCannotBeWrittenNoneIsReplaced()
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
