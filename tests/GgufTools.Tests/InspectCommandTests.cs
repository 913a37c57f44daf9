using System.CommandLine;
using System.Text.Json;
using LlamaSteer.Gguf;
using LlamaSteer.GgufTools.Commands;
using LlamaSteer.Testing;
using NUnit.Framework;

namespace LlamaSteer.GgufTools.Tests;

/// <summary>gguf-tools inspect, run in-process through System.CommandLine with captured writers.</summary>
public sealed class InspectCommandTests
{
    private string _folder = "";

    [SetUp]
    public void CreateFolder() => _folder = TestPaths.NewTempDirectory();

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(InspectCommand.Create());
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    [Test]
    public void TextReportOfTheModelShowsLayoutMetadataEveryTensorAndTotals()
    {
        var model = GgufFile.Read(TestPaths.Model);

        var (exitCode, output, error) = Run("inspect", TestPaths.Model);

        Assert.That(exitCode, Is.Zero);
        Assert.That(error, Is.Empty);
        var lines = Lines(output);
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.Some.Matches<string>(l => l.Trim() == $"GGUF version  {model.Version}"));
            Assert.That(lines, Has.Some.Contains($"data offset   {model.DataOffset:N0}"));
            Assert.That(lines, Has.Some.EqualTo("  general.architecture = \"llama\""));
            Assert.That(lines, Has.Some.EqualTo($"  llama.block_count = {model.GetInt64("llama.block_count")}"));
            Assert.That(lines, Has.Some.StartsWith("  tokenizer.ggml.tokens = string[512] [\"<unk>\"").And.Some.EndsWith(", ...]"));
            foreach (var tensor in model.Tensors)
                Assert.That(lines, Has.Exactly(1).Matches<string>(l => l.TrimStart().StartsWith(tensor.Name + " ") && l.Contains(tensor.Shape) && l.EndsWith($"{tensor.ByteSize:N0}")), tensor.Name);
            Assert.That(lines, Has.Some.EqualTo(
                $"totals: {model.Tensors.Count} tensors, {model.Tensors.Sum(t => t.ElementCount):N0} parameters, {model.Tensors.Sum(t => t.ByteSize):N0} bytes"));
        });
    }

    [Test]
    public void JsonReportParsesAndAgreesWithTheReader()
    {
        var model = GgufFile.Read(TestPaths.Model);

        var (exitCode, output, error) = Run("inspect", TestPaths.Model, "--json");

        Assert.That(exitCode, Is.Zero);
        Assert.That(error, Is.Empty);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("tensors").GetArrayLength(), Is.EqualTo(model.Tensors.Count));
            Assert.That(root.GetProperty("totals").GetProperty("tensorCount").GetInt32(), Is.EqualTo(model.Tensors.Count));
            Assert.That(root.GetProperty("totals").GetProperty("parameterCount").GetInt64(), Is.EqualTo(model.Tensors.Sum(t => t.ElementCount)));
            Assert.That(root.GetProperty("dataOffset").GetInt64(), Is.EqualTo(model.DataOffset));
            Assert.That(root.GetProperty("metadata").EnumerateArray().Select(e => e.GetProperty("key").GetString()), Is.EqualTo(model.Metadata.Keys));
            var embedding = root.GetProperty("tensors").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "token_embd.weight");
            Assert.That(embedding.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()), Is.EqualTo(model.FindTensor("token_embd.weight")!.Dimensions));
            var epsilon = root.GetProperty("metadata").EnumerateArray().Single(e => e.GetProperty("key").GetString() == "llama.attention.layer_norm_rms_epsilon");
            Assert.That(epsilon.GetProperty("value").GetSingle(), Is.EqualTo(model.GetFloat("llama.attention.layer_norm_rms_epsilon")), "float32 printed in its own precision");
        });
    }

    [Test]
    public void ATruncatedFileExits2WithOneLineNamingTheFileAndTheProblem()
    {
        var path = Path.Combine(_folder, "cut.gguf");
        var valid = Path.Combine(_folder, "valid.gguf");
        new GgufWriter().SetString("general.architecture", "llama").AddTensor("blk.0.ffn_up.weight", new float[256], 16, 16).WriteTo(valid);
        var tensor = GgufFile.Read(valid).Tensors[0];
        File.WriteAllBytes(path, File.ReadAllBytes(valid)[..(int)(tensor.FileOffset + 10)]);

        var (exitCode, output, error) = Run("inspect", path);

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(output, Is.Empty);
        Assert.That(Lines(error), Has.Length.EqualTo(1));
        Assert.That(error, Does.StartWith($"gguf-tools: {path}: truncated: tensor 'blk.0.ffn_up.weight' needs bytes up to {tensor.FileOffset + tensor.ByteSize:N0}"));
    }

    [Test]
    public void AFileThatIsNotGGUFOrIsMissingExits2WithoutAStackTrace()
    {
        var text = Path.Combine(_folder, "notes.txt");
        File.WriteAllText(text, "PK, not a model");
        var missing = Path.Combine(_folder, "missing.gguf");

        var notGguf = Run("inspect", text, "--json");
        var absent = Run("inspect", missing);

        Assert.That(notGguf.ExitCode, Is.EqualTo(2));
        Assert.That(notGguf.Error.TrimEnd(), Is.EqualTo($"gguf-tools: {text}: not a GGUF file: starts with 'PK, ' (expected 'GGUF')"));
        Assert.That(absent.ExitCode, Is.EqualTo(2));
        Assert.That(absent.Error.TrimEnd(), Is.EqualTo($"gguf-tools: {missing}: no such file"));
    }

    [Test]
    public void LongStringsAndArraysAreShortenedUnlessAll()
    {
        var template = string.Concat(Enumerable.Repeat("{% for message in messages %}{{ message.content }}{% endfor %}\n", 30));
        var tokens = Enumerable.Range(0, 50).Select(i => $"tok{i}").ToArray();
        var path = Path.Combine(_folder, "template.gguf");
        new GgufWriter().SetString("tokenizer.chat_template", template).SetArray("tokenizer.ggml.tokens", tokens).WriteTo(path);

        var (_, shortOutput, _) = Run("inspect", path);
        var (_, allOutput, _) = Run("inspect", path, "--all");

        var shortTemplate = Lines(shortOutput).Single(l => l.Contains("tokenizer.chat_template"));
        var fullTemplate = Lines(allOutput).Single(l => l.Contains("tokenizer.chat_template"));
        Assert.That(shortTemplate, Has.Length.LessThan(template.Length).And.EndsWith($"... ({template.Length:N0} chars)"));
        Assert.That(fullTemplate, Is.EqualTo($"  tokenizer.chat_template = {GgufMetadataValue.From(template).Format()}"));
        Assert.That(Lines(shortOutput).Single(l => l.Contains("tokenizer.ggml.tokens")), Does.Not.Contain("\"tok49\""));
        Assert.That(Lines(allOutput).Single(l => l.Contains("tokenizer.ggml.tokens")), Does.EndWith("\"tok49\"]"));
    }

    [Test]
    public void JsonMarksShortenedValuesAndWritesNonFiniteFloatsAsStrings()
    {
        var path = Path.Combine(_folder, "odd.gguf");
        var longText = new string('x', 500);
        new GgufWriter().SetString("long", longText).SetFloat32("nan", float.NaN).SetArray("inf", new[] { double.NegativeInfinity, 1.5 }).WriteTo(path);

        var (exitCode, output, _) = Run("inspect", path, "--json");
        var (_, allOutput, _) = Run("inspect", path, "--json", "--all");

        Assert.That(exitCode, Is.Zero);
        using var json = JsonDocument.Parse(output);
        var entries = json.RootElement.GetProperty("metadata").EnumerateArray().ToDictionary(e => e.GetProperty("key").GetString()!);
        Assert.Multiple(() =>
        {
            Assert.That(entries["long"].GetProperty("truncated").GetBoolean(), Is.True);
            Assert.That(entries["long"].GetProperty("length").GetInt32(), Is.EqualTo(longText.Length));
            Assert.That(entries["long"].GetProperty("value").GetString(), Has.Length.LessThan(longText.Length));
            Assert.That(entries["nan"].GetProperty("value").GetString(), Is.EqualTo("NaN"));
            Assert.That(entries["inf"].GetProperty("values")[0].GetString(), Is.EqualTo("-Infinity"));
            Assert.That(entries["inf"].GetProperty("values")[1].GetDouble(), Is.EqualTo(1.5));
        });
        using var all = JsonDocument.Parse(allOutput);
        var fullLong = all.RootElement.GetProperty("metadata").EnumerateArray().Single(e => e.GetProperty("key").GetString() == "long");
        Assert.That(fullLong.GetProperty("value").GetString(), Is.EqualTo(longText));
        Assert.That(fullLong.TryGetProperty("truncated", out _), Is.False);
    }
}
