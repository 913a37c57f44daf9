using LlamaSteer.Native.Runtime;

namespace LlamaSteer.Native.Tests.Runtime;

/// <summary>How a backend that did not load is described (info and the --gpu-layers error print it).</summary>
[TestFixture]
public class BackendProblemTests
{
    [Test]
    public void MissingLibrariesAreNamedInTheFilesOrder() =>
        Assert.That(new BackendProblem("cuda", "/app/native/libggml-cuda.so", ["libcudart.so.13", "libcuda.so.1"], null).Describe(),
            Is.EqualTo("cuda not loaded: libggml-cuda.so needs libcudart.so.13, libcuda.so.1, not found on this machine"));

    [Test]
    public void TheFallbackBuildIsToldFromThePrimaryOne() =>
        Assert.That(new BackendProblem("cuda", "/app/native/fallback/libggml-cuda.so", ["libcudart.so.12"], null).Describe(),
            Is.EqualTo("cuda not loaded: fallback/libggml-cuda.so needs libcudart.so.12, not found on this machine"));

    [Test]
    public void WithoutAMissingLibraryTheLoaderMessageIsGiven() =>
        Assert.That(new BackendProblem("vulkan", "/app/native/libggml-vulkan.so", [], "version `GLIBCXX_3.4.32' not found").Describe(),
            Is.EqualTo("vulkan not loaded: libggml-vulkan.so: version `GLIBCXX_3.4.32' not found"));
}
