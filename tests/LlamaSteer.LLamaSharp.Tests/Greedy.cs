using System.Text;
using LLama;
using LLama.Batched;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;

namespace LlamaSteer.LLamaSharp.Tests;

/// <summary>Greedy text through LLamaSharp's own APIs, written as a LLamaSharp user would: the prompt followed by what was generated.</summary>
internal static class Greedy
{
    public static async Task<string> ThroughExecutor(InteractiveExecutor executor, string prompt, int tokens)
    {
        var text = new StringBuilder(prompt);
        var parameters = new InferenceParams { MaxTokens = tokens, SamplingPipeline = new GreedySamplingPipeline() };
        await foreach (var piece in executor.InferAsync(prompt, parameters)) text.Append(piece);
        return text.ToString();
    }

    public static async Task<string> ThroughBatchedExecutor(BatchedExecutor executor, string prompt, int tokens)
    {
        using var conversation = executor.Create();
        conversation.Prompt(executor.Context.Tokenize(prompt, true, false));
        var sampler = new GreedySamplingPipeline();
        var decoder = new StreamingTokenDecoder(executor.Context);
        var text = new StringBuilder(prompt);
        for (var i = 0; i < tokens; i++)
        {
            var result = await executor.Infer();
            Assert.That(result, Is.EqualTo(DecodeResult.Ok), $"decoding for token {i}");
            var token = sampler.Sample(executor.Context.NativeHandle, conversation.GetSampleIndex());
            if (token.IsEndOfGeneration(executor.Context.Vocab)) break;
            decoder.Add(token);
            text.Append(decoder.Read());
            // A token prompted but never inferred would stay queued for the next conversation.
            if (i + 1 < tokens) conversation.Prompt(token);
        }
        return text.ToString();
    }

    public static async Task<string> ThroughSteeringContext(Plans.SteeringContext context, string prompt, int tokens, Steering.SteeringPlan plan)
    {
        var text = new StringBuilder(prompt);
        await foreach (var piece in context.GenerateAsync(prompt, plan, new GreedySamplingPipeline(), tokens)) text.Append(piece);
        return text.ToString();
    }
}
