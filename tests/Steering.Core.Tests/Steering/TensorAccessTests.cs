using System.Text.RegularExpressions;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Steering;

/// <summary>
/// Steering on offloaded layers reads and writes graph tensors that live in GPU memory, where a tensor's <c>data</c>
/// is a device address: only ggml_backend_tensor_get/set may touch it. GraphTensor is the one place that does (its
/// ReadRows/WriteRows run on the CPU backend in every plan, capture and extraction test); this guard keeps it so.
/// The training engine's <c>GgmlTensorRef</c> is the one other place: its tensors live in its own ggml contexts, and it
/// reads <c>data</c> only of a tensor that has no backend buffer (plain host memory), through the backend calls otherwise.
/// </summary>
[TestFixture]
public class TensorAccessTests
{
    private static IEnumerable<(string File, string Text)> Sources() =>
        Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Select(f => (Path.GetRelativePath(TestPaths.RepoRoot, f), File.ReadAllText(f)));

    [Test]
    public void NoCodeReadsATensorDataPointer()
    {
        var offenders = Sources().Where(s => Regex.IsMatch(s.Text, @"->\s*Data\b|\bGgmlTensor\s*\*[^;]*\.Data\b")).Select(s => s.File.Replace('\\', '/'))
            .Where(f => f != TrainingTensor || !OnlyWithoutBuffer(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, f)))).ToList();
        Assert.That(offenders, Is.Empty);
    }

    [Test]
    public void OnlyGraphTensorMovesTensorDataAndOnlyThroughTheBackendCalls()
    {
        var users = Sources().Select(s => (File: s.File.Replace('\\', '/'), s.Text))
            .Where(s => !s.File.StartsWith("src/Steering.Native/Interop/", StringComparison.Ordinal)) // the declarations
            .Where(s => !s.File.StartsWith("src/LlamaSteer.LLamaSharp/Interop/", StringComparison.Ordinal)) // the LLamaSharp package's, bound to LLamaSharp's ggml
            .Where(s => Regex.IsMatch(s.Text, @"\bBackendTensor(Get|Set)\(")).Select(s => s.File).ToList();
        // CallbackTensor is GraphTensor's counterpart in the LLamaSharp package (the same callback over LLamaSharp's llama.cpp).
        Assert.That(users, Is.EquivalentTo(new[] { "src/Steering.Core/Inference/GraphTensor.cs", TrainingTensor, "src/LlamaSteer.LLamaSharp/Plans/CallbackTensor.cs" }));
    }

    private const string TrainingTensor = "src/Steering.Native/Graphs/GgmlTensorRef.cs";

    // Every copy through t->Data sits in the else branch of a buffer check.
    private static bool OnlyWithoutBuffer(string text) =>
        Regex.Matches(text, @"\(void\*\)t->Data").Count == Regex.Matches(text, @"if \(t->Buffer != IntPtr\.Zero\) GgmlBaseNative\.BackendTensor(Get|Set)\([^\n]*\n\s*else Buffer\.MemoryCopy\([^\n]*\(void\*\)t->Data").Count;
}
