using System.Reflection;
using System.Text.Json;
using LlamaSteer.Testing;

namespace LlamaSteer.LLamaSharp.Tests;

/// <summary>
/// The two llama.cpp builds never meet: the native-free library and this package load no native code of LlamaSteer's, this
/// test's output holds none of LlamaSteer's native libraries, and the main projects do not reference LLamaSharp.
/// </summary>
[TestFixture]
public class IsolationTests
{
    private static readonly string[] MainProjects =
        ["src/Steering.Native", "src/Steering.Core", "src/Steering.Cli", "src/Steering.Host", "gguf-tools"];

    [TestCase(typeof(LlamaSteer.Vectors.ControlVectorFile), "LlamaSteer.Vectors", false)]
    [TestCase(typeof(ControlVectors), "LlamaSteer.LLamaSharp", true)]
    public void NoAssemblyHereReferencesLlamaSteersNativeBinding(Type sample, string name, bool mayImportNativeCode)
    {
        var assembly = sample.Assembly;
        Assert.That(assembly.GetName().Name, Is.EqualTo(name));
        var references = assembly.GetReferencedAssemblies().Select(a => a.Name).ToArray();
        Assert.That(references, Has.None.EqualTo("LlamaSteer.Native").And.None.EqualTo("LlamaSteer.Core"));
        var imports = assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(m => m.Attributes.HasFlag(MethodAttributes.PinvokeImpl))
            .Select(m => m.GetCustomAttribute<System.Runtime.InteropServices.DllImportAttribute>()?.Value)
            .Distinct()
            .ToArray();
        if (mayImportNativeCode)
            Assert.That(imports, Is.EqualTo(new[] { "ggml-base" }), "only LLamaSharp's ggml, for the evaluation callback");
        else
            Assert.That(imports, Is.Empty, "the native-free library imports no native function");
    }

    [Test]
    public void NoNativeLibraryOfLlamaSteersIsBesideTheseTests()
    {
        var output = AppContext.BaseDirectory;
        Assert.That(Path.Combine(output, "LlamaSteer.Native.dll"), Does.Not.Exist);
        Assert.That(Path.Combine(output, "LlamaSteer.Core.dll"), Does.Not.Exist);
        Assert.That(Path.Combine(output, "native"), Does.Not.Exist, "LlamaSteer's runtime folder");
        var ours = Directory.EnumerateFiles(output, "*.so*", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(output, f).StartsWith("runtimes" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .ToArray();
        Assert.That(ours, Is.Empty, "native libraries outside LLamaSharp's runtimes/ folder");
    }

    [TestCaseSource(nameof(MainProjects))]
    public void AMainProjectDoesNotReferenceLLamaSharp(string project)
    {
        var folder = Path.Combine(TestPaths.RepoRoot, project);
        var csproj = Directory.GetFiles(folder, "*.csproj").Single();
        Assert.That(File.ReadAllText(csproj), Does.Not.Contain("LLamaSharp").IgnoreCase.And.Not.Contain("LlamaSteer.LLamaSharp"));
        // Transitively too: the restore's resolved packages and projects (restored by this build, which builds the host).
        var assets = Path.Combine(folder, "obj", "project.assets.json");
        Assert.That(assets, Does.Exist);
        using var json = JsonDocument.Parse(File.ReadAllText(assets));
        var libraries = json.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name.Split('/')[0]).ToArray();
        Assert.That(libraries, Is.Not.Empty);
        Assert.That(libraries, Has.None.StartsWith("LLamaSharp").IgnoreCase);
    }
}
