using System.Runtime.InteropServices;
using LlamaSteer.Host.Tests.Cli;
using LlamaSteer.Testing;

namespace LlamaSteer.Host.Tests.Gpu;

/// <summary>
/// Builds llamasteer with each GPU runtime variant (-p:LlamaSteerBackend=cuda|vulkan) into its own folder
/// (artifacts/variants/NAME, via -p:LlamaSteerVariantRoot, so nothing is shared with the normal bin/ and obj/), then runs
/// it here: the variant must be found, checked and loaded; on a machine without the GPU runtime ggml skips the GPU
/// backend, the CPU runs, info names the missing library, and --gpu-layers 1 is refused with that reason. The packages
/// come from ~/.cache/llamasteer/native after the first fetch (cuda 143 MB, vulkan 24 MB download).
/// </summary>
[TestFixture]
[Category("Variants")]
public class RuntimeVariantTests
{
    private static string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0/

    private static string BuildVariant(string backend)
    {
        var root = Path.Combine(TestPaths.RepoRoot, "artifacts", "variants", backend);
        var r = Executables.Run("dotnet", ["build", Path.Combine(TestPaths.RepoRoot, "src", "Steering.Host", "Steering.Host.csproj"), "-c", Configuration,
            $"-p:LlamaSteerBackend={backend}", $"-p:LlamaSteerVariantRoot={root}", "-nologo", "-v:q"], timeoutSeconds: 600);
        Assert.That(r.ExitCode, Is.Zero, $"dotnet build -p:LlamaSteerBackend={backend} failed:\n{r.Stdout}\n{r.Stderr}");
        var dll = Path.Combine(root, "bin", "Steering.Host", Configuration, "net10.0", "llamasteer.dll");
        Assert.That(dll, Does.Exist);
        return dll;
    }

    // Independent of LlamaSteer: can this process dlopen the library the GPU backend needs?
    private static bool Loadable(string library)
    {
        if (!NativeLibrary.TryLoad(library, out var handle)) return false;
        NativeLibrary.Free(handle);
        return true;
    }

    private static readonly Dictionary<string, string?> NoOverride = new() { ["LLAMASTEER_NATIVE_DIR"] = null };

    [TestCase("cuda", "libllama.cuda.v0.5.0.so", "libggml-cuda.so", "libcuda.so.1")]
    [TestCase("vulkan", "libllama.vulkan.v0.5.0.so", "libggml-vulkan.so", "libvulkan.so.1")]
    public void VariantBuildsLoadsAndFallsBackToTheCpu(string backend, string llamaFile, string backendFile, string driverLibrary)
    {
        var dll = BuildVariant(backend);
        var native = Path.Combine(Path.GetDirectoryName(dll)!, "native");
        Assert.That(Path.Combine(native, llamaFile), Does.Exist);
        Assert.That(Path.Combine(native, backendFile), Does.Exist);
        Assume.That(Loadable(driverLibrary), Is.False, $"{driverLibrary} is installed here: this test checks the fallback on a machine without it");

        var info = CliRunner.Run(["info", "-m", TestPaths.Model, "-t", "1"], NoOverride, dll: dll);
        Assert.That(info.ExitCode, Is.Zero, info.Stderr);
        Assert.Multiple(() =>
        {
            Assert.That(info.Stdout, Does.Contain($"llama.cpp       0.5.0").And.Contain($"({backend} (node-llama-cpp)) from {native}"));
            Assert.That(info.Stdout, Does.Contain("backend         CPU: loaded, 1 device"));
            Assert.That(info.Stdout, Does.Match($@"backend         {backend} not loaded: {Regex(backendFile)} needs [^\n]*{Regex(driverLibrary)}[^\n]*, not found on this machine"));
            Assert.That(info.Stdout, Does.Match(@"device          CPU \(Cpu, CPU\): .*MiB free of"));
            Assert.That(info.Stdout, Does.Contain($"gpu offload     no GPU device: {backend} not loaded: {backendFile} needs"));
        });

        var refused = CliRunner.Run(["generate", "-m", TestPaths.Model, "-t", "1", "-p", "Once upon a time", "-n", "8", "--temperature", "0", "--gpu-layers", "1"], NoOverride, dll: dll);
        Assert.Multiple(() =>
        {
            Assert.That(refused.ExitCode, Is.EqualTo(1));
            Assert.That(refused.Stdout, Is.Empty);
            Assert.That(refused.Stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
            Assert.That(refused.Stderr, Does.StartWith($"llamasteer: 1 GPU layers were asked for, but there is no GPU device: {backend} not loaded: {backendFile} needs").And.Contain(driverLibrary));
        });

        // The CPU backends of the variant compute what the cpu build computes.
        string[] greedy = ["generate", "-m", TestPaths.Model, "-t", "1", "-p", "Once upon a time", "-n", "16", "--temperature", "0"];
        var onVariant = CliRunner.Run(greedy, NoOverride, dll: dll);
        var onCpuBuild = CliRunner.Run(greedy, NoOverride);
        Assert.That(onVariant.ExitCode, Is.Zero, onVariant.Stderr);
        Assert.That(onVariant.Stdout, Is.EqualTo(onCpuBuild.Stdout).And.Not.Empty);
    }

    private static string Regex(string literal) => System.Text.RegularExpressions.Regex.Escape(literal);
}
