using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using LlamaSteer.Native.Interop;
using LlamaSteer.Testing;

namespace LlamaSteer.Native.Tests;

/// <summary>
/// Compares every mirrored struct's size and field offsets with what the C compiler computes from
/// the headers of the pinned llama.cpp release.
/// </summary>
[TestFixture]
public class NativeAbiTests
{
    private static readonly (Type Managed, string C)[] Mirrors =
    [
        (typeof(LlamaModelParams), "struct llama_model_params"),
        (typeof(LlamaContextParams), "struct llama_context_params"),
        (typeof(LlamaBatch), "struct llama_batch"),
        (typeof(LlamaTokenData), "llama_token_data"),
        (typeof(LlamaTokenDataArray), "llama_token_data_array"),
        (typeof(LlamaChatMessage), "llama_chat_message"),
        (typeof(LlamaSamplerChainParams), "llama_sampler_chain_params"),
        (typeof(LlamaModelQuantizeParams), "llama_model_quantize_params"),
        (typeof(GgmlTensor), "struct ggml_tensor"),
        (typeof(GgufInitParams), "struct gguf_init_params"),
        (typeof(GgmlInitParams), "struct ggml_init_params"),
    ];

    // C names that PascalCase-to-snake_case does not produce.
    private static readonly Dictionary<string, string> CNames = new()
    {
        ["NThread"] = "nthread",
        ["FType"] = "ftype",
    };

    private static Dictionary<string, long> _c = null!;

    [OneTimeSetUp]
    public void CompileProbe()
    {
        var headers = typeof(NativeAbiTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "LlamaHeadersDir").Value!;
        Assert.That(File.Exists(Path.Combine(headers, "include", "llama.h")), $"llama.h missing under {headers}; the test project's build fetches it.");

        var dir = Directory.CreateTempSubdirectory("llamasteer-abi").FullName;
        var source = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include \"llama.h\"\nint main(void) {\n");
        foreach (var (managed, c) in Mirrors)
        {
            source.Append($"  printf(\"{c}|sizeof %zu\\n\", sizeof({c}));\n");
            foreach (var f in Fields(managed))
                source.Append($"  printf(\"{c}|{CName(f)} %zu\\n\", offsetof({c}, {CName(f)}));\n");
        }
        source.Append("  return 0;\n}\n");
        File.WriteAllText(Path.Combine(dir, "abi.c"), source.ToString());

        Run("cc", ["-I", $"{headers}/include", "-I", $"{headers}/ggml/include", "-o", "abi", "abi.c"], dir);
        var output = Run(Path.Combine(dir, "abi"), [], dir);
        _c = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .ToDictionary(l => l[..l.LastIndexOf(' ')], l => long.Parse(l[(l.LastIndexOf(' ') + 1)..]));
        Directory.Delete(dir, true);
    }

    public static IEnumerable<TestCaseData> Structs() => Mirrors.Select(m => new TestCaseData(m.Managed, m.C).SetName($"{{m}}({m.Managed.Name})"));

    [TestCaseSource(nameof(Structs))]
    public void SizeAndOffsetsMatchTheCCompiler(Type managed, string c)
    {
        Assert.Multiple(() =>
        {
            Assert.That(Marshal.SizeOf(managed), Is.EqualTo(_c[$"{c}|sizeof"]), $"sizeof({c})");
            foreach (var f in Fields(managed))
                Assert.That((long)Marshal.OffsetOf(managed, f.Name), Is.EqualTo(_c[$"{c}|{CName(f)}"]), $"offsetof({c}, {CName(f)})");
        });
    }

    [Test]
    public void MirroredStructsHaveTheKnownSizesOfThisRelease()
    {
        // Recorded facts from the issue (checked against the C compiler for v0.5.0).
        Assert.That(Marshal.SizeOf<LlamaModelParams>(), Is.EqualTo(80));
        Assert.That(Marshal.SizeOf<LlamaContextParams>(), Is.EqualTo(160));
        Assert.That(Marshal.SizeOf<LlamaBatch>(), Is.EqualTo(56));
    }

    private static IEnumerable<FieldInfo> Fields(Type t) =>
        t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);

    private static string CName(FieldInfo f)
    {
        if (CNames.TryGetValue(f.Name, out var n)) return n;
        var sb = new StringBuilder();
        for (var i = 0; i < f.Name.Length; i++)
        {
            var ch = f.Name[i];
            if (char.IsUpper(ch) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(ch));
        }
        return sb.ToString();
    }

    private static string Run(string file, IEnumerable<string> args, string dir)
    {
        var r = Executables.Run(file, args, workingDirectory: dir);
        Assert.That(r.ExitCode, Is.Zero, $"{file} {string.Join(' ', args)} failed:\n{r.Stderr}");
        return r.Stdout;
    }
}
