using LlamaSteer.Native.Runtime;
using LlamaSteer.Testing;

namespace LlamaSteer.Native.Tests.Runtime;

/// <summary>Reading DT_NEEDED from the fetched runtime's real ELF files, and telling which needed libraries are missing.</summary>
[TestFixture]
public class SharedLibraryDependenciesTests
{
    private static string RuntimeDir => NativeRuntime.EnsureLoaded().Directory;

    [Test]
    public void LibllamaNeedsLibggmlOfItsOwnBuildAndLibggmlBase()
    {
        var layout = NativeRuntime.EnsureLoaded().Layout!;
        var needed = SharedLibraryDependencies.Needed(Path.Combine(RuntimeDir, layout.LlamaFile));
        Assert.That(needed, Does.Contain(layout.GgmlFile).And.Contain("libggml-base.so").And.Contain("libc.so.6"));
    }

    [Test]
    public void NothingTheLoadedRuntimeNeedsIsMissing() =>
        Assert.That(SharedLibraryDependencies.Missing(Path.Combine(RuntimeDir, NativeRuntime.EnsureLoaded().Layout!.LlamaFile)), Is.Empty);

    [Test]
    public void ALibraryNeedingAnAbsentOneNamesIt()
    {
        // A copy of libggml-base.so whose first DT_NEEDED string (libstdc++.so.6) is renamed in place, same length.
        var dir = TestPaths.NewTempDirectory();
        try
        {
            var bytes = File.ReadAllBytes(Path.Combine(RuntimeDir, "libggml-base.so"));
            var from = "libstdc++.so.6"u8.ToArray();
            var to = "libabsent.so.6"u8.ToArray();
            Assume.That(to, Has.Length.EqualTo(from.Length));
            var at = bytes.AsSpan().IndexOf(from);
            Assume.That(at, Is.GreaterThanOrEqualTo(0));
            to.CopyTo(bytes, at);
            var copy = Path.Combine(dir, "libggml-base.so");
            File.WriteAllBytes(copy, bytes);
            Assert.That(SharedLibraryDependencies.Missing(copy), Is.EqualTo(new[] { System.Text.Encoding.ASCII.GetString(to) }));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void AFileThatIsNotElfNeedsNothing()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "not an ELF file");
            Assert.That(SharedLibraryDependencies.Needed(file), Is.Empty);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
