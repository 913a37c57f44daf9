using LlamaSteer.Generation;
using LlamaSteer.Models;
using LlamaSteer.Sampling;
using LlamaSteer.Testing;

namespace LlamaSteer.Core.Tests.Engine;

/// <summary>One context used from many threads at once: calls queue on the context's gate and every result stays correct.</summary>
[TestFixture]
public class ConcurrencyTests
{
    [Test]
    public async Task ParallelGenerationsOnOneContextMatchSequentialOnes()
    {
        var model = SharedModel.Model;
        await using var ctx = model.CreateContext(new() { Threads = 1 });
        var prompts = new[] { "Once upon a time", "Tim was sad", "The dog ran", "Lily had a red ball" };
        var options = new GenerationOptions { MaxTokens = 24, Sampling = SamplingOptions.Greedy };
        var gen = new TextGenerator(ctx);
        var expected = prompts.Select(p => gen.Generate(p, options).Text).ToArray();

        var jobs = Enumerable.Range(0, 32).Select(i => Task.Run(async () =>
        {
            var p = i % prompts.Length;
            if (i % 2 == 0) return (p, gen.Generate(prompts[p], options).Text);
            var text = "";
            await foreach (var t in gen.StreamAsync(prompts[p], options)) text += t.Text;
            return (p, text);
        }));
        foreach (var (p, text) in await Task.WhenAll(jobs))
            Assert.That(text, Is.EqualTo(expected[p]), prompts[p]);
    }

    [Test]
    public async Task DisposeWaitsForTheRunningGeneration()
    {
        var model = SharedModel.Model;
        var ctx = model.CreateContext(new() { Threads = 1 });
        var gen = new TextGenerator(ctx);
        var options = new GenerationOptions { MaxTokens = 200, Sampling = SamplingOptions.Greedy };
        var undisturbed = gen.Generate("Once upon a time", options).Tokens.Count;
        var started = new TaskCompletionSource();
        var run = Task.Run(async () =>
        {
            var n = 0;
            await foreach (var t in gen.StreamAsync("Once upon a time", options))
                if (t.Token >= 0 && ++n == 1) started.SetResult();
            return n;
        });
        await started.Task;
        await ctx.DisposeAsync();
        // Had disposal not waited, the running generation would have failed on a freed context.
        Assert.That(await run, Is.EqualTo(undisturbed));
        Assert.Throws<ObjectDisposedException>(() => ctx.Acquire());
    }
}
