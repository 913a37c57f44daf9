using LlamaSteer.Gguf;
using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Synthesis;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Training;

/// <summary>
/// The independent path the training graph is checked against: llama.cpp's own llama_decode (F32 KV cache, no flash
/// attention), with steering vectors set as llama.cpp control vectors; and tiny synthesized models.
/// </summary>
internal static class LlamaCppReference
{
    /// <summary>The logits of every position of <paramref name="tokens"/>, with <paramref name="vectors"/> (layer → vector) as a control vector.</summary>
    public static float[][] Logits(LlamaModel model, int[] tokens, IReadOnlyDictionary<int, float[]>? vectors = null)
    {
        using var context = model.CreateContext(new ContextOptions { Threads = 1, ExactAttention = true, ContextSize = Math.Max(64, tokens.Length), BatchSize = Math.Max(64, tokens.Length) });
        using var lease = context.Acquire();
        if (vectors is { Count: > 0 })
        {
            var n = model.EmbeddingSize;
            var last = vectors.Keys.Max();
            var data = new float[last * n];
            foreach (var (layer, v) in vectors) v.CopyTo(data, (layer - 1) * n);
            lease.SetControlVector(data, vectors.Keys.Min(), last);
        }
        var batch = new TokenBatch();
        for (var i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, 0, output: true);
        Assert.That(lease.Decode(batch), Is.EqualTo(Native.SafeHandles.DecodeStatus.Ok));
        return [.. Enumerable.Range(0, tokens.Length).Select(i => lease.Logits(i).ToArray())];
    }

    /// <summary>Sum over response positions of log p(token), computed from llama.cpp's logits in double precision.</summary>
    public static double LogProbability(LlamaModel model, int[] tokens, int responseStart, IReadOnlyDictionary<int, float[]>? vectors = null)
    {
        var logits = Logits(model, tokens, vectors);
        var total = 0.0;
        for (var i = responseStart; i < tokens.Length; i++)
        {
            var row = logits[i - 1];
            var max = row.Max();
            var sum = row.Sum(x => Math.Exp(x - max));
            total += row[tokens[i]] - max - Math.Log(sum);
        }
        return total;
    }

    /// <summary>A tiny random-weight llama model of <paramref name="type"/> weights with the stories260K tokenizer, in <paramref name="dir"/>.</summary>
    public static string Synthesize(string dir, GgmlType type, bool tied = false)
    {
        var path = Path.Combine(dir, $"synth-{type}{(tied ? "-tied" : "")}.gguf");
        SyntheticModelWriter.Write(new SyntheticModelSpec(new ModelShape(64, 3, 4, 2, 128, 600)) { WeightType = type, TiedEmbeddings = tied, Seed = 3 },
            GgufFile.Read(TestPaths.Model), path);
        return path;
    }

    /// <summary>
    /// A qwen2 model made from a synthesized llama one: the metadata moved under <c>qwen2.</c> and random q/k/v biases
    /// added, so llama.cpp builds it with its qwen2 graph (NeoX RoPE, biases).
    /// </summary>
    public static string SynthesizeQwen2(string dir)
    {
        var llama = GgufFile.Read(Synthesize(dir, GgmlType.F32));
        var writer = new GgufWriter();
        foreach (var (key, value) in llama.Metadata)
            writer.Set(key.StartsWith("llama.", StringComparison.Ordinal) ? "qwen2." + key["llama.".Length..] : key, value);
        writer.SetString("general.architecture", "qwen2");
        foreach (var t in llama.Tensors) writer.AddTensor(t.Name, llama.ReadTensorF32(t), [.. t.Dimensions]);
        var layers = (int)llama.GetUInt32("llama.block_count")!;
        for (var il = 0; il < layers; il++)
            foreach (var (name, length) in new[] { ("attn_q", 64), ("attn_k", 32), ("attn_v", 32) })
                writer.AddTensor($"blk.{il}.{name}.bias", RandomVector(length, 40 + il, 0.5f), length);
        writer.AddTensor("output.bias", RandomVector(600, 50, 0.5f), 600);
        var path = Path.Combine(dir, "synth-qwen2.gguf");
        writer.WriteTo(path);
        return path;
    }

    /// <summary>A reproducible vector of <paramref name="n"/> values in [-scale, scale].</summary>
    public static float[] RandomVector(int n, int seed, float scale)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale)];
    }
}
