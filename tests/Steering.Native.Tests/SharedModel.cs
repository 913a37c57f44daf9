using LlamaSteer.Native.SafeHandles;
using LlamaSteer.Testing;

namespace LlamaSteer.Native.Tests;

/// <summary>
/// The one handle on the test model (models/stories260K.gguf) for the tests of this project that just need a model,
/// loaded with default settings on first use and disposed once when the run ends (<see cref="SharedModelTeardown"/>).
/// It is read-only: tests make their own contexts and batches from it and never dispose it. Lifetime tests
/// (<see cref="HandleLifetimeTests"/>: dispose order, double dispose, use after dispose) load their own, since disposing
/// the model is what they test.
/// </summary>
internal static class SharedModel
{
    private static readonly Lazy<SafeLlamaModelHandle> Loaded = new(() => SafeLlamaModelHandle.Load(TestPaths.Model, new ModelLoadSettings()));

    public static SafeLlamaModelHandle Model => Loaded.Value;

    internal static void Release()
    {
        if (Loaded.IsValueCreated) Loaded.Value.Dispose();
    }
}

/// <summary>Disposes the shared model after the last test of the project.</summary>
[SetUpFixture]
public sealed class SharedModelTeardown
{
    [OneTimeTearDown] public void Release() => SharedModel.Release();
}
