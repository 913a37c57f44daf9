using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.Core.Tests.Vectors;

/// <summary>The FILE[:STRENGTH][@LAYERS] text that generate, eval and bake share.</summary>
[TestFixture]
public class VectorSpecTests
{
    [TestCase("happy.gguf", "happy.gguf", 1f, null)]
    [TestCase("happy.gguf:0.8", "happy.gguf", 0.8f, null)]
    [TestCase("dir/lily.gguf:-0.5@1-3", "dir/lily.gguf", -0.5f, "1-3")]
    [TestCase("lily.gguf@0,2", "lily.gguf", 1f, "0,2")]
    [TestCase("v.gguf:1e-1@4", "v.gguf", 0.1f, "4")]
    public void ParsesPathStrengthAndLayers(string text, string path, float strength, string? layers)
    {
        var spec = VectorSpec.Parse(text, layerCount: 5);

        Assert.That(spec.Path, Is.EqualTo(path));
        Assert.That(spec.Strength, Is.EqualTo(strength));
        Assert.That(spec.Layers?.ToString(), Is.EqualTo(layers));
    }

    [TestCase("v.gguf:strong", "'strong' is not a strength")]
    [TestCase("v.gguf:NaN", "finite")]
    [TestCase("v.gguf:1e99", "finite")]
    [TestCase("v.gguf@5", "outside the model")]
    [TestCase("v.gguf@2-1", "runs backwards")]
    public void RefusesWhatCannotBeUsed(string text, string problem)
    {
        Assert.That(() => VectorSpec.Parse(text, layerCount: 5), Throws.ArgumentException.With.Message.Contains(problem));
    }

    [Test]
    public void AColonThatIsPartOfAnExistingFileNameIsNotAStrength()
    {
        var dir = Testing.TestPaths.NewTempDirectory();
        try
        {
            var path = Path.Combine(dir, "run:2.gguf");
            File.WriteAllText(path, "");
            var spec = VectorSpec.Parse(path + "@1", layerCount: 5);
            Assert.That((spec.Path, spec.Strength, spec.Layers), Is.EqualTo((path, 1f, LayerSet.Of([1]))));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
