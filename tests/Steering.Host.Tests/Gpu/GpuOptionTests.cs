using System.Text.RegularExpressions;
using LlamaSteer.Host.Tests.Cli;
using LlamaSteer.Testing;

namespace LlamaSteer.Host.Tests.Gpu;

/// <summary>--gpu-layers and info's GPU and memory report on the cpu build (no GPU backend at all).</summary>
[TestFixture]
public class GpuOptionTests
{
    private static ProcessResult Run(params string[] args) => CliRunner.Run([.. args, "-m", TestPaths.Model, "-t", "1"]);

    private static string[] Greedy(params string[] extra) => ["generate", "-p", "Once upon a time", "-n", "12", "--temperature", "0", .. extra];

    [Test]
    public void GpuLayersWithoutAGpuIsOneLineSayingWhy()
    {
        var r = Run(Greedy("--gpu-layers", "1"));
        Assert.Multiple(() =>
        {
            Assert.That(r.ExitCode, Is.EqualTo(1));
            Assert.That(r.Stdout, Is.Empty, "nothing was generated on the CPU instead");
            Assert.That(r.Stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
            Assert.That(r.Stderr, Does.StartWith("llamasteer: 1 GPU layers were asked for, but there is no GPU device: this llama.cpp runtime (cpu (node-llama-cpp)) has no GPU backend"));
        });
    }

    [Test]
    public void AllGpuLayersWithoutAGpuIsRefusedToo() =>
        Assert.That(Run(Greedy("--gpu-layers", "-1")).Stderr, Does.StartWith("llamasteer: all GPU layers were asked for, but there is no GPU device"));

    [Test]
    public void AutoWithoutAGpuSaysSoAndRunsOnTheCpu()
    {
        var auto = Run(Greedy("--gpu-layers", "auto"));
        var cpu = Run(Greedy("--gpu-layers", "0"));
        Assert.Multiple(() =>
        {
            Assert.That(auto.ExitCode, Is.Zero, auto.Stderr);
            Assert.That(auto.Stderr, Does.Contain("--gpu-layers auto: no GPU device").And.Contain("running every layer on the CPU"));
            Assert.That(auto.Stdout, Is.EqualTo(cpu.Stdout).And.Not.Empty);
        });
    }

    [TestCase("x")]
    [TestCase("-2")]
    [TestCase("1.5")]
    public void ABadGpuLayerValueIsRefused(string value)
    {
        var r = Run(Greedy("--gpu-layers", value));
        Assert.That(r.ExitCode, Is.Not.Zero);
        Assert.That(r.Stderr, Does.Contain($"--gpu-layers must be a count, -1 (all) or auto, not '{value}'"));
    }

    [Test]
    public void InfoReportsBackendsDevicesAndMeasuredMemory()
    {
        var r = Run("info");
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        Assert.Multiple(() =>
        {
            Assert.That(r.Stdout, Does.Contain("(cpu (node-llama-cpp)) from "));
            Assert.That(r.Stdout, Does.Contain("backend         CPU: loaded, 1 device"));
            Assert.That(r.Stdout, Does.Match(@"device          CPU \(Cpu, CPU\): .*, [\d,]+ MiB free of [\d,]+ MiB"));
            Assert.That(r.Stdout, Does.Contain("gpu offload     no GPU device"));
            Assert.That(r.Stdout, Does.Contain("memory estimate weights").And.Contain("memory measured model"));
            Assert.That(r.Stdout, Does.Not.Contain("vram plan"), "no plan without --vram");
        });
    }

    [TestCase("8G")]
    [TestCase("515M")]
    public void InfoVramPlansTheLayersThatFit(string vram)
    {
        var r = Run("info", "--vram", vram);
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
        var rows = Regex.Matches(r.Stdout, @"--gpu-layers (\d+)\s+needs\s+([\d.,]+) MiB on the GPU(  \(does not fit\))?");
        var chosen = int.Parse(Regex.Match(r.Stdout, @"--gpu-layers auto would choose (\d+) of (\d+)").Groups[1].Value);
        Assert.Multiple(() =>
        {
            Assert.That(rows, Has.Count.EqualTo(7), "0 .. n_layer + 1 for stories260K's 5 layers");
            var fitting = rows.Where(m => !m.Groups[3].Success).Select(m => int.Parse(m.Groups[1].Value)).ToList();
            Assert.That(chosen, Is.EqualTo(fitting.Max()), "auto takes the most layers that fit");
            var needs = rows.Select(m => double.Parse(m.Groups[2].Value.Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.That(needs, Is.Ordered.Ascending, "each layer more needs more memory");
            // 515M leaves 3 MiB beside the 512 MiB headroom: less than the output layer and the compute buffer need.
            Assert.That(chosen, Is.EqualTo(vram == "8G" ? 6 : 0));
        });
    }

    [Test]
    public void InfoRefusesAVramThatIsNotASize()
    {
        var r = Run("info", "--vram", "8Q");
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.Stderr.Trim(), Is.EqualTo("llamasteer: --vram must be a size such as 8G, 6144M or 12GiB, not '8Q'."));
    }
}
