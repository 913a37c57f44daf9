using System.Text.Json;
using LlamaSteer.Testing;

namespace LlamaSteer.Host.Tests.Cli;

/// <summary><c>llamasteer bench</c> through the real executable: every row runs and lands in the JSON and markdown (no timing is checked).</summary>
[TestFixture]
public class BenchVerbTests
{
    [Test]
    public void EveryRowRunsAndIsReportedWithItsRatios()
    {
        var dir = TestPaths.NewTempDirectory();
        try
        {
            var output = Path.Combine(dir, "report");
            var r = CliRunner.Run(["bench", "-m", TestPaths.Model, "-t", "1", "--runs", "1", "--tokens", "4", "--prompt-tokens", "8", "-o", output], timeoutSeconds: 300);
            Assert.That(r.ExitCode, Is.Zero, r.Stderr);

            using var json = JsonDocument.Parse(File.ReadAllText(output + ".json"));
            var rows = json.RootElement.GetProperty("Rows").EnumerateArray().ToList();
            var names = rows.Select(x => x.GetProperty("Name").GetString()!).ToList();
            string[] expected =
            [
                "decode, batch 1", "decode, batch 8", "prefill", "static control vector", "callback installed, no hook, batch 1",
                "callback installed, no hook, batch 8", "decode + plan through the callback", "8 different plans through the callback",
                "decode + CLAS plan through the callback", "8 different CLAS plans through the callback", "capture of every layer",
                "extraction capture (layers", "graph stopped after it", "8 steered requests one after another", "8 steered requests batched",
                "through the scheduler", "8 steered streaming HTTP requests one after another", "8 concurrent steered streaming HTTP requests",
                "time to first token, one streaming HTTP request alone", "admitted while 7 others decode",
            ];
            Assert.Multiple(() =>
            {
                foreach (var e in expected) Assert.That(names, Has.Some.Contains(e), $"no row '{e}'");
                foreach (var x in rows)
                {
                    var name = x.GetProperty("Name").GetString();
                    Assert.That(x.GetProperty("Median").GetDouble(), Is.GreaterThan(0), name);
                    if (x.GetProperty("BaselineName").ValueKind == JsonValueKind.String)
                    {
                        var ratio = x.GetProperty("Ratio").GetDouble();
                        Assert.That(ratio, Is.GreaterThan(0), name);
                        var spread = x.GetProperty("RatioSpread");
                        Assert.That(spread.GetProperty("Low").GetDouble(), Is.LessThanOrEqualTo(ratio + 1e-12), name);
                        Assert.That(spread.GetProperty("High").GetDouble(), Is.GreaterThanOrEqualTo(ratio - 1e-12), name);
                    }
                    // Every decode row but the plain ones is also compared with plain decode of its batch size.
                    if (x.GetProperty("BatchSize").ValueKind == JsonValueKind.Number && !name!.StartsWith("decode, batch"))
                        Assert.That(x.GetProperty("PlainRatio").GetDouble(), Is.GreaterThan(0), name);
                }
                Assert.That(json.RootElement.GetProperty("Pending").EnumerateArray().Select(p => p.GetString()), Has.Some.Contains("llama-server"));
                Assert.That(File.ReadAllText(output + ".md"), Does.Contain("| decode, batch 1 |"));
            });
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void QuantilesInterpolateBetweenOrderStatistics()
    {
        double[] v = [4, 1, 3, 2];
        Assert.That(LlamaSteer.Host.Bench.BenchSchedule.Quantile(v, 0.5), Is.EqualTo(2.5));
        Assert.That(LlamaSteer.Host.Bench.BenchSchedule.Quantile(v, 0.25), Is.EqualTo(1.75));
        Assert.That(LlamaSteer.Host.Bench.BenchSchedule.Quantile(v, 0.75), Is.EqualTo(3.25));
        Assert.That(LlamaSteer.Host.Bench.BenchSchedule.Quantile([7.0], 0.25), Is.EqualTo(7));
        Assert.That(LlamaSteer.Host.Bench.BenchSchedule.Quantile([1.0, 2, 3], 0.5), Is.EqualTo(2));
    }

    [Test]
    public void RowsFilterKeepsTheChosenRowsAndWhatTheyAreComparedWith()
    {
        var dir = TestPaths.NewTempDirectory();
        try
        {
            var output = Path.Combine(dir, "report");
            var r = CliRunner.Run(["bench", "-m", TestPaths.Model, "-t", "1", "--runs", "1", "--tokens", "4", "--prompt-tokens", "8", "--samples", "4",
                "--rows", "graph stopped", "--rows", "decode + plan through", "-o", output], timeoutSeconds: 300);
            Assert.That(r.ExitCode, Is.Zero, r.Stderr);

            using var json = JsonDocument.Parse(File.ReadAllText(output + ".json"));
            var names = json.RootElement.GetProperty("Rows").EnumerateArray().Select(x => x.GetProperty("Name").GetString()!).ToList();
            Assert.That(names, Has.Count.EqualTo(4), string.Join(" | ", names));
            Assert.That(names, Has.One.StartsWith("prefill"));
            Assert.That(names, Has.One.Contains("graph stopped after it"));
            Assert.That(names, Has.One.EqualTo("decode, batch 1"));
            Assert.That(names, Has.One.StartsWith("decode + plan through the callback"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void AnUnknownOptionAfterRowsIsRefusedNotTakenAsARowFilter()
    {
        var r = CliRunner.Run(["bench", "-m", TestPaths.Model, "--rows", "decode", "--json-out"], timeoutSeconds: 120);
        Assert.That(r.ExitCode, Is.Not.Zero);
        Assert.That(r.Stderr, Does.Contain("--json-out"));
    }
}
