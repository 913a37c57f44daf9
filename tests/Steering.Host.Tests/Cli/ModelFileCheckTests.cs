using LlamaSteer.Gguf;
using LlamaSteer.Testing;

namespace LlamaSteer.Host.Tests.Cli;

/// <summary>
/// Files on which llama.cpp v0.5.0 asserts and aborts the process (exit 134) are refused by ModelFileCheck first:
/// each case is the real model with one edit, run through the real executable, which must exit 1 with one line
/// naming the problem, for info and generate alike.
/// </summary>
[TestFixture]
public class ModelFileCheckTests
{
    private string _folder = null!;

    [OneTimeSetUp]
    public void CreateFolder() => _folder = TestPaths.NewTempDirectory();

    [OneTimeTearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private static readonly (string Name, Func<string, string> Make, string Mentions)[] Cases =
    [
        ("block-count-0", f => ModelEdits.Save(f, "block0.gguf", ModelEdits.PatchUInt32("llama.block_count", 0)), "llama.block_count is 0"),
        ("block-count-513", f => ModelEdits.Save(f, "block513.gguf", ModelEdits.PatchUInt32("llama.block_count", 513)), "llama.block_count is 513"),
        ("rms-epsilon-nan", f => ModelEdits.Save(f, "epsnan.gguf", ModelEdits.PatchFloat("llama.attention.layer_norm_rms_epsilon", float.NaN)), "layer_norm_rms_epsilon is NaN"),
        ("rms-epsilon-negative", f => ModelEdits.Save(f, "epsneg.gguf", ModelEdits.PatchFloat("llama.attention.layer_norm_rms_epsilon", -1e-5f)), "layer_norm_rms_epsilon is -1E-05"),
        ("duplicate-token", f => ModelEdits.Rewrite(f, "dup.gguf", (w, file) =>
        {
            var tokens = file.GetStringArray("tokenizer.ggml.tokens")!;
            tokens[300] = tokens[301];
            w.Set("tokenizer.ggml.tokens", GgufMetadataValue.From(tokens));
        }), "tokens 300 and 301 of tokenizer.ggml.tokens have the same text"),
        ("every-token-empty", f => ModelEdits.Rewrite(f, "empty.gguf", (w, file) =>
            w.Set("tokenizer.ggml.tokens", GgufMetadataValue.From(new string[file.GetStringArray("tokenizer.ggml.tokens")!.Length].Select(_ => "").ToArray()))),
            "every token text in tokenizer.ggml.tokens is empty"),
        ("bert-tokenizer", f => ModelEdits.Rewrite(f, "bert.gguf", (w, _) => w.SetString("tokenizer.ggml.model", "bert")), "tokenizer.ggml.model is 'bert'"),
        ("f16-output-norm", f => ModelEdits.Rewrite(f, "f16norm.gguf", (_, _) => { }, (_, t) => t.Name == "output_norm.weight", (w, file, t) =>
        {
            var values = file.ReadTensorF32(t);
            var half = new byte[values.Length * 2];
            for (var i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(half.AsSpan(i * 2), (Half)values[i]);
            w.AddTensor(t.Name, GgmlType.F16, [.. t.Dimensions], half);
        }), "tensor 'output_norm.weight' is f16"),
    ];

    private static IEnumerable<TestCaseData> CaseData() => Cases.Select(c => new TestCaseData(c.Name).SetName($"RefusedBeforeLlamaCppAborts({c.Name})"));

    [TestCaseSource(nameof(CaseData))]
    public void RefusedBeforeLlamaCppAborts(string name)
    {
        var c = Cases.Single(x => x.Name == name);
        var path = c.Make(_folder);
        foreach (string[] verb in new[] { new[] { "info" }, ["generate", "-p", "Once", "-n", "2"] })
        {
            var r = CliRunner.Run([.. verb, "-m", path, "-t", "1"]);
            Assert.That(r.ExitCode, Is.EqualTo(1), $"{verb[0]}: stderr: {r.Stderr}");
            Assert.That(r.Stderr.TrimEnd(), Does.StartWith($"llamasteer: {path} is not a usable llama model: ").And.Contain(c.Mentions));
            Assert.That(r.Stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1), "one line");
        }
    }

    [Test]
    public void AnArchitectureThatIsNotAStringIsAModelError()
    {
        var path = ModelEdits.Rewrite(_folder, "arch-number.gguf", (w, _) => w.SetUInt32("general.architecture", 7));
        var r = CliRunner.Run(["info", "-m", path, "-t", "1"]);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.Stderr);
        Assert.That(r.Stderr.TrimEnd(), Is.EqualTo($"llamasteer: {path} is not a usable GGUF model: metadata 'general.architecture' should be a string but is uint32 7"));
    }

    [Test]
    public void TheUneditedModelStillLoads()
    {
        var r = CliRunner.Run(["info", "-m", TestPaths.Model, "-t", "1"]);
        Assert.That(r.ExitCode, Is.Zero, r.Stderr);
    }
}
