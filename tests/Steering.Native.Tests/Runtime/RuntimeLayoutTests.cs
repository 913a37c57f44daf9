using LlamaSteer.Native.Runtime;
using LlamaSteer.Testing;

namespace LlamaSteer.Native.Tests.Runtime;

/// <summary>
/// The resolver's file names for every runtime variant: folders laid out as each of node-llama-cpp's packages lays out
/// its bins folder (file lists from `npm pack @node-llama-cpp/linux-x64{,-cuda,-vulkan}@3.22.1`, 2026-12-02), and the
/// real cpu folder the build fetched.
/// </summary>
[TestFixture]
public class RuntimeLayoutTests
{
    private string _dir = null!;

    [SetUp] public void MakeDir() => _dir = TestPaths.NewTempDirectory();
    [TearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    private static readonly string[] CpuVariants = ["alderlake", "haswell", "sse42", "x64", "zen4"];

    private void Lay(params string[] files)
    {
        foreach (var f in files)
        {
            var path = Path.Combine(_dir, f);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, []);
        }
    }

    private void LayPackage(string llama, string ggml, params string[] gpuBackends) =>
        Lay([llama, ggml, "libggml-base.so", "libllama-common.so", "llama-addon.node", "_nlcBuildMetadata.json",
             .. CpuVariants.Select(v => $"libggml-cpu-{v}.so"), .. gpuBackends]);

    [Test]
    public void ACpuPackageIsDetectedWithItsVersionedFiles()
    {
        LayPackage("libllama.v0.5.0.so", "libggml.v0.5.0.so");
        var layout = RuntimeLayout.Detect(_dir);
        Assert.That(layout, Is.Not.Null);
        Assert.That((layout!.Name, layout.LlamaFile, layout.GgmlFile, layout.GgmlBaseFile),
            Is.EqualTo(("cpu (node-llama-cpp)", "libllama.v0.5.0.so", "libggml.v0.5.0.so", "libggml-base.so")));
    }

    [Test]
    public void ACudaPackageIsDetectedWithItsVersionedFiles()
    {
        LayPackage("libllama.cuda.v0.5.0.so", "libggml.cuda.v0.5.0.so", "libggml-cuda.so");
        var layout = RuntimeLayout.Detect(_dir);
        Assert.That((layout?.Name, layout?.LlamaFile, layout?.GgmlFile),
            Is.EqualTo(("cuda (node-llama-cpp)", "libllama.cuda.v0.5.0.so", "libggml.cuda.v0.5.0.so")));
    }

    [Test]
    public void AVulkanPackageIsDetectedWithItsVersionedFiles()
    {
        LayPackage("libllama.vulkan.v0.5.0.so", "libggml.vulkan.v0.5.0.so", "libggml-vulkan.so");
        var layout = RuntimeLayout.Detect(_dir);
        Assert.That((layout?.Name, layout?.LlamaFile, layout?.GgmlFile),
            Is.EqualTo(("vulkan (node-llama-cpp)", "libllama.vulkan.v0.5.0.so", "libggml.vulkan.v0.5.0.so")));
    }

    [Test]
    public void APlainCmakeBuildIsDetectedByItsUnversionedLibllama()
    {
        Lay("libllama.so", "libggml.so", "libggml-base.so", "libggml-cpu.so");
        Assert.That(RuntimeLayout.Detect(_dir)?.LlamaFile, Is.EqualTo("libllama.so"));
    }

    [Test]
    public void AFolderWithoutLibllamaHasNoLayout() =>
        Assert.That(RuntimeLayout.Detect(_dir), Is.Null);

    [Test]
    public void TwoBuildsInOneFolderAreRefusedByName()
    {
        LayPackage("libllama.v0.5.0.so", "libggml.v0.5.0.so");
        Lay("libllama.cuda.v0.5.0.so", "libggml.cuda.v0.5.0.so");
        var e = Assert.Throws<NativeRuntimeException>(() => RuntimeLayout.Detect(_dir));
        Assert.That(e!.Message, Does.Contain("libllama.v0.5.0.so").And.Contain("libllama.cuda.v0.5.0.so"));
    }

    [TestCase("libggml-cuda.so", "cuda")]
    [TestCase("libggml-vulkan.so", "vulkan")]
    [TestCase("ggml-cuda.dll", "cuda")]
    [TestCase("libggml-base.so", null)]
    [TestCase("libggml-cpu-haswell.so", null)]
    [TestCase("libggml-cpu.so", null)]
    [TestCase("libggml.cuda.v0.5.0.so", null)]
    [TestCase("libllama-common.so", null)]
    public void GpuBackendLibrariesAreToldFromTheRest(string file, string? backend) =>
        Assert.That(BackendProbe.BackendOf(file), Is.EqualTo(backend));

    [Test]
    public void TheFetchedRuntimeIsTheCpuPackageAndLoads()
    {
        var info = NativeRuntime.EnsureLoaded();
        Assert.Multiple(() =>
        {
            Assert.That(info.Layout?.Name, Is.EqualTo("cpu (node-llama-cpp)"));
            Assert.That(info.Backends, Does.Contain("CPU"));
            Assert.That(info.Devices.Where(d => d.Kind == ComputeDeviceKind.Cpu).Select(d => d.Backend), Is.All.EqualTo("CPU"));
            Assert.That(info.BackendProblems, Is.Empty, "the cpu package has no GPU backend library");
        });
    }
}
