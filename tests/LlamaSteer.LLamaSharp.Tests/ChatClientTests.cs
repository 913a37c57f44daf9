using LLama;
using LLama.Abstractions;
using Microsoft.Extensions.AI;

namespace LlamaSteer.LLamaSharp.Tests;

/// <summary>
/// <see cref="SteeredChatClient"/>: LLamaSharp's own <c>AsChatClient()</c> conversation, steered during each call. Each reply is
/// compared with the same executor's reply when the vector is put on (or left off) by hand: the steered call writes the
/// steered reply, and the context is unsteered again once the call is over.
/// </summary>
[TestFixture]
public class ChatClientTests
{
    private static readonly ChatMessage[] Question = [new(ChatRole.User, "Tim felt")];
    private static ChatOptions Greedy => new() { Temperature = 0, MaxOutputTokens = 16, Seed = 1 };

    private static async Task<string> Reply(Func<InteractiveExecutor, IChatClient> client, Action<InteractiveExecutor>? prepare = null, ChatOptions? options = null)
    {
        using var context = Models.Weights.CreateContext(Models.Parameters);
        var executor = new InteractiveExecutor(context);
        prepare?.Invoke(executor);
        using var chat = client(executor);
        var response = await chat.GetResponseAsync(Question, options ?? Greedy);
        return response.Text;
    }

    [Test]
    public async Task AChatReplyIsSteeredDuringTheCallOnly()
    {
        var vectors = ControlVectors.Load(Models.Weights, Models.Mood + ":3");
        var unsteered = await Reply(e => e.AsChatClient());
        var byHand = await Reply(e => e.AsChatClient(), e => e.ApplyControlVectors(vectors));
        Assert.That(byHand, Is.Not.EqualTo(unsteered), "the vector changes the reply");

        Assert.That(await Reply(e => new SteeredChatClient(e, vectors)), Is.EqualTo(byHand));

        // The same context afterwards no longer carries the vector: with its memory cleared it writes llamasteer's unsteered text.
        using var context = Models.Weights.CreateContext(Models.Parameters);
        using (var steered = new SteeredChatClient(new InteractiveExecutor(context), vectors))
            Assert.That((await steered.GetResponseAsync(Question, Greedy)).Text, Is.EqualTo(byHand));
        context.NativeHandle.MemoryClear(true);
        Assert.That(await LlamaSteer.LLamaSharp.Tests.Greedy.ThroughExecutor(new InteractiveExecutor(context), "Tim felt", 16),
            Is.EqualTo(LlamaSteerCli.Generate("Tim felt", 16)));
    }

    [Test]
    public async Task AStreamedReplyIsSteeredToo()
    {
        var vectors = ControlVectors.Load(Models.Weights, Models.Mood + ":3");
        var byHand = await Reply(e => e.AsChatClient(), e => e.ApplyControlVectors(vectors));
        using var context = Models.Weights.CreateContext(Models.Parameters);
        using var chat = new SteeredChatClient(new InteractiveExecutor(context), vectors);
        var streamed = new System.Text.StringBuilder();
        await foreach (var update in chat.GetStreamingResponseAsync(Question, Greedy)) streamed.Append(update.Text);
        Assert.That(streamed.ToString(), Is.EqualTo(byHand));
    }

    [Test]
    public async Task ACallMayBringItsOwnVectors()
    {
        var vectors = ControlVectors.Load(Models.Weights, Models.Mood + ":3");
        var byHand = await Reply(e => e.AsChatClient(), e => e.ApplyControlVectors(vectors));
        var options = Greedy;
        options.AdditionalProperties = new() { [SteeredChatClient.VectorsKey] = vectors };
        Assert.That(await Reply(e => new SteeredChatClient(e, null), options: options), Is.EqualTo(byHand));

        options.AdditionalProperties[SteeredChatClient.VectorsKey] = "mood.gguf";
        var e = Assert.ThrowsAsync<ArgumentException>(() => Reply(x => new SteeredChatClient(x, null), options: options));
        Assert.That(e!.Message, Does.Contain("must be a ControlVectors"));
    }
}
