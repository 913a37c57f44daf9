using System.Text.RegularExpressions;
using LlamaSteer.Testing;
using NUnit.Framework;

namespace LlamaSteer.GgufTools.Tests;

/// <summary>
/// The CI share of the fuzz: 3,000 mutated model and vector files through load, context and a two-token steered
/// generation in one gguf-tools process. A native abort or segfault ends that process with a signal's exit code, an
/// unexpected exception or a hang with exit 1; each fails this test with the case named.
/// </summary>
public sealed class FuzzTests
{
    [Test]
    public void ThreeThousandMutatedFilesRunOrAreRefusedInOneLine()
    {
        var apphost = Executables.BesideTheTests("gguf-tools");
        var work = TestPaths.NewTempDirectory();
        try
        {
            var r = Executables.Run(apphost, ["fuzz", "--cases", "3000", "--parallel", "2", "--seed", "7", "--model", TestPaths.Model, "--work", work], timeoutSeconds: 15 * 60);
            var caseFiles = string.Join(", ", Directory.GetFiles(work, "case-*.txt").Select(File.ReadAllText));

            Assert.That(r.ExitCode, Is.Zero, $"exit {r.ExitCode}; last cases: {caseFiles}\n{r.Stdout}\n{r.Stderr}");
            var summary = Regex.Match(r.Stdout, @"fuzz: 3,000 cases \((?<models>[\d,]+) mutated models, (?<vectors>[\d,]+) mutated vectors.*?: (?<ran>[\d,]+) loaded and generated, (?<refused>[\d,]+) refused with a one-line error .*?, 0 unexpected");
            Assert.That(summary.Success, Is.True, r.Stdout);
            int N(string group) => int.Parse(summary.Groups[group].Value.Replace(",", ""));
            Assert.That(N("models") + N("vectors"), Is.EqualTo(3000));
            Assert.That(N("ran") + N("refused"), Is.EqualTo(3000));
            // Both outcomes occur: mutations that break the file and ones that leave it loadable.
            Assert.That(N("ran"), Is.GreaterThan(0));
            Assert.That(N("refused"), Is.GreaterThan(0));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
