using LlamaSteer.Chat;
using LlamaSteer.Generation;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Steering;
using LlamaSteer.Testing;
using LlamaSteer.Vectors;

namespace LlamaSteer.Host.Tests.Serving;

/// <summary>
/// What the serving tests share: vector files written from seeded random directions (layers 1-4 of stories260K,
/// n_embd 64), one of another width, and the in-process engine that computes, independently of the server, the
/// text a request must produce.
/// </summary>
internal sealed class ServingWorld : IDisposable
{
    public ServingWorld()
    {
        Root = TestPaths.NewTempDirectory();
        VectorDir = Directory.CreateDirectory(Path.Combine(Root, "preload")).FullName;
        Model = LlamaModel.Load(TestPaths.Model);
        Happy = Random(Model.EmbeddingSize, 1);
        Sad = Random(Model.EmbeddingSize, 2);
        ControlVectorFile.Write(Happy, Path.Combine(VectorDir, "happy.gguf"));
        ControlVectorFile.Write(Sad, Path.Combine(VectorDir, "sad.gguf"));
        OtherModelVector = Path.Combine(Root, "wide.gguf");
        ControlVectorFile.Write(Random(32, 3), OtherModelVector);
        KeyFile = Path.Combine(Root, "keys.txt");
        File.WriteAllLines(KeyFile, ["# test keys", $"inference {InferenceKey}", $"admin {AdminKey}"]);
    }

    public const string InferenceKey = "inference-key-0123456789";
    public const string AdminKey = "admin-key-0123456789";

    public string Root { get; }
    public string VectorDir { get; }
    public string KeyFile { get; }
    public string OtherModelVector { get; }
    public LlamaModel Model { get; }
    public SteeringVector Happy { get; }
    public SteeringVector Sad { get; }

    public string NewDataDir() => Directory.CreateDirectory(Path.Combine(Root, "data-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    private static SteeringVector Random(int embd, int seed)
    {
        var rng = new Random(seed);
        return new SteeringVector(embd, Enumerable.Range(1, 4).ToDictionary(l => l, _ => Enumerable.Range(0, embd).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray()), "llama");
    }

    public static SteeringPlan Plan(params SteeringTerm[] terms) => new(terms);

    /// <summary>The greedy text the engine alone produces for a prompt (a chat message when <paramref name="chat"/>).</summary>
    public string Expected(string prompt, int maxTokens, SteeringPlan? plan = null, bool chat = false)
    {
        var text = chat ? ChatFormatter.Format(Model, [new ChatMessage("user", prompt)], "chatml") : prompt;
        using var ctx = Model.CreateContext(new ContextOptions { Threads = 1, ContextSize = 256, EnableGraphHooks = true });
        var options = new GenerationOptions { MaxTokens = maxTokens, Sampling = SamplingOptions.Greedy, Plan = plan, ParseSpecialTokens = chat };
        return new TextGenerator(ctx).Generate(text, options).Text;
    }

    public void Dispose()
    {
        Model.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
