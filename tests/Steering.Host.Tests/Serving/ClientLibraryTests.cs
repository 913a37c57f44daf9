using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json.Nodes;
using LlamaSteer.Serving;
using LlamaSteer.Steering;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;

namespace LlamaSteer.Host.Tests.Serving;

/// <summary>
/// .NET callers: the official OpenAI client (steering through a preset model id), Microsoft.Extensions.AI's OpenAI adapter
/// (steering through the X-Steering header, added by a pipeline policy) and the in-process <see cref="SteeringChatClient"/>
/// all get the text raw HTTP gets.
/// </summary>
[TestFixture]
[NonParallelizable]
public class ClientLibraryTests
{
    private ServingWorld _world = null!;
    private ServerProcess _server = null!;
    private ServerClient _raw = null!;
    private static readonly JsonObject Spec = new() { ["vectors"] = new JsonArray(new JsonObject { ["id"] = "happy", ["strength"] = 1.5, ["layers"] = "1-4" }) };

    [OneTimeSetUp]
    public async Task Start()
    {
        _world = new ServingWorld();
        _server = await ServerProcess.StartAsync(_world.NewDataDir(), "--vectors", _world.VectorDir);
        _raw = new ServerClient(_server.Address);
        var (status, _) = await _raw.SendAsync(new HttpRequestMessage(HttpMethod.Put, "/v1/steering/presets/cheerful") { Content = ServerClient.Json(Spec) });
        Assert.That(status, Is.EqualTo(201));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _raw.Dispose();
        await _server.DisposeAsync();
        _world.Dispose();
    }

    private async Task<string> RawChat(string message, int maxTokens, JsonNode? steering)
    {
        var body = new JsonObject
        {
            ["model"] = "stories260K",
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = message }),
            ["max_tokens"] = maxTokens,
            ["temperature"] = 0,
            ["steering"] = steering?.DeepClone(),
        };
        var (status, r) = await _raw.PostAsync("/v1/chat/completions", body);
        Assert.That(status, Is.EqualTo(200), r?.ToJsonString());
        return (string)r!["choices"]![0]!["message"]!["content"]!;
    }

    private OpenAIClientOptions Options() => new() { Endpoint = new Uri(_server.Address, "/v1") };

    [Test]
    public async Task TheOfficialOpenAiClientSteersThroughAPresetModelId()
    {
        var client = new ChatClient("stories260K:cheerful", new ApiKeyCredential("unused"), Options());
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 16 };
        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("Tell me about the sun")], options);
        var expected = await RawChat("Tell me about the sun", 16, Spec);
        Assert.That(completion.Content[0].Text, Is.EqualTo(expected));
        Assert.That(expected, Is.Not.EqualTo(await RawChat("Tell me about the sun", 16, null)), "the preset should steer");

        var streamed = new StringBuilder();
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Tell me about the sun")], options))
            foreach (var part in update.ContentUpdate) streamed.Append(part.Text);
        Assert.That(streamed.ToString(), Is.EqualTo(expected));
    }

    /// <summary>Adds the X-Steering header to every request of an OpenAI client: how a Microsoft.Extensions.AI caller steers a remote server.</summary>
    private sealed class SteeringHeader(string json) : PipelinePolicy
    {
        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Set("X-Steering", json);
            ProcessNext(message, pipeline, currentIndex);
        }

        public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Set("X-Steering", json);
            return ProcessNextAsync(message, pipeline, currentIndex);
        }
    }

    [Test]
    public async Task MicrosoftExtensionsAiOverTheOpenAiAdapterSteersThroughTheHeader()
    {
        var options = Options();
        options.AddPolicy(new SteeringHeader(Spec.ToJsonString()), PipelinePosition.PerCall);
        IChatClient client = new OpenAIClient(new ApiKeyCredential("unused"), options).GetChatClient("stories260K").AsIChatClient();
        var chatOptions = new ChatOptions { Temperature = 0, MaxOutputTokens = 16 };
        var response = await client.GetResponseAsync("Lily went outside", chatOptions);
        var expected = await RawChat("Lily went outside", 16, Spec);
        Assert.That(response.Text, Is.EqualTo(expected));
        var streamed = new StringBuilder();
        await foreach (var update in client.GetStreamingResponseAsync("Lily went outside", chatOptions)) streamed.Append(update.Text);
        Assert.That(streamed.ToString(), Is.EqualTo(expected));
    }

    [Test]
    public async Task TheInProcessChatClientGetsTheServersText()
    {
        await using var scheduler = new ContinuousBatchScheduler(_world.Model, new SchedulerOptions { Slots = 2, SlotContext = 256, Threads = 1 });
        using IChatClient client = new SteeringChatClient(scheduler);
        var plan = new SteeringPlan([new SteeringTerm(_world.Happy, 1.5f, LayerSet.Range(1, 4))]);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 16 }.WithSteering(plan);
        var response = await client.GetResponseAsync("The big tree", options);
        Assert.That(response.Text, Is.EqualTo(await RawChat("The big tree", 16, Spec)));
        Assert.That(response.FinishReason, Is.EqualTo(Microsoft.Extensions.AI.ChatFinishReason.Length));
        Assert.That(response.Usage?.OutputTokenCount, Is.EqualTo(16));

        var streamed = new StringBuilder();
        await foreach (var update in client.GetStreamingResponseAsync("The big tree", options)) streamed.Append(update.Text);
        Assert.That(streamed.ToString(), Is.EqualTo(response.Text));
        var plain = await client.GetResponseAsync("The big tree", new ChatOptions { Temperature = 0, MaxOutputTokens = 16 });
        Assert.That(plain.Text, Is.EqualTo(await RawChat("The big tree", 16, null)));
    }
}
