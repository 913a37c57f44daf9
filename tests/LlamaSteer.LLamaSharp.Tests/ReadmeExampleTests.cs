using System.Text;
using System.Text.RegularExpressions;
using LLama;
using LLama.Common;
using LLama.Sampling;
using LlamaSteer.Testing;

namespace LlamaSteer.LLamaSharp.Tests;

/// <summary>The README's LLamaSharp example runs as written here (the README holds this region verbatim) and prints llamasteer's text.</summary>
[TestFixture]
public class ReadmeExampleTests
{
    private static async Task RunExample(string modelFile, string moodFile)
    {
        // README:begin
        var parameters = new ModelParams(modelFile) { ContextSize = 256, Threads = 1 };
        using var model = LLamaWeights.LoadFromFile(parameters);
        using var context = model.CreateContext(parameters);
        var executor = new InteractiveExecutor(context);

        // Vectors as on llamasteer's command line: FILE[:STRENGTH][@LAYERS], summed.
        executor.ApplyControlVectors(ControlVectors.Load(model, $"{moodFile}:1.5", $"{moodFile}:1@2-3"));

        var greedy = new InferenceParams { MaxTokens = 24, SamplingPipeline = new GreedySamplingPipeline() };
        Console.Write("Tim felt");
        await foreach (var text in executor.InferAsync("Tim felt", greedy))
            Console.Write(text);
        // README:end
    }

    [Test]
    public async Task TheExamplePrintsWhatLlamasteerPrints()
    {
        var expected = LlamaSteerCli.Generate("Tim felt", 24, "--vector", Models.Mood + ":1.5", "--vector", Models.Mood + ":1@2-3");
        var console = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            await RunExample(Models.Path, Models.Mood);
        }
        finally
        {
            Console.SetOut(console);
        }
        Assert.That(captured.ToString(), Is.EqualTo(expected));
    }

    [Test]
    public void TheReadmeShowsTheExampleAsItRuns()
    {
        var source = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "LlamaSteer.LLamaSharp.Tests", "ReadmeExampleTests.cs"));
        var region = Regex.Match(source, @"// README:begin\n(.*?)\n\s*// README:end", RegexOptions.Singleline).Groups[1].Value;
        var example = string.Join('\n', region.Split('\n').Select(l => l.Length >= 8 ? l[8..] : l.Trim()));
        Assert.That(example, Does.Contain("ApplyControlVectors"));
        Assert.That(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md")).Replace("\r\n", "\n"), Does.Contain(example));
    }
}
