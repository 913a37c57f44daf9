using System.Text.Json.Nodes;
using LlamaSteer.Host.Serving.Chat;
using LlamaSteer.Steering;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace LlamaSteer.Host.Tests.Serving.Page;

/// <summary>
/// The chat hub from .NET (Microsoft.AspNetCore.SignalR.Client with MessagePack) against the real <c>llamasteer serve</c> on
/// loopback: streamed tokens with per-token steering data, a plan changed mid-answer, compare mode, and bad input refused
/// with a message while another connection's generation carries on. Expected texts come from the in-process engine.
/// </summary>
[TestFixture]
[NonParallelizable]
public class ChatHubTests
{
    private ServingWorld _world = null!;
    private ServerProcess _server = null!;
    private HubConnection _hub = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _world = new ServingWorld();
        _server = await ServerProcess.StartAsync(_world.NewDataDir(), "--vectors", _world.VectorDir, "--max-strength", "8");
        _hub = await ChatConnection.OpenAsync(_server.Address);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _hub.DisposeAsync();
        await _server.DisposeAsync();
        _world.Dispose();
    }

    private SteeringPlan Happy(float strength) => ServingWorld.Plan(new SteeringTerm(_world.Happy, strength, LayerSet.Parse("1-4", _world.Model.LayerCount)));

    [Test]
    public async Task DescribeListsTheRegisteredVectorsAndTheSliderLimit()
    {
        var setup = await _hub.InvokeAsync<ChatSetup>("Describe");
        Assert.That(setup.Model, Is.EqualTo("stories260K"));
        Assert.That(setup.Vectors.Select(v => (v.Name, v.Layers)), Is.EquivalentTo(new[] { ("happy", "1-4"), ("sad", "1-4") }));
        Assert.That(setup.StrengthLimit, Is.EqualTo(8f));
    }

    [Test]
    public async Task AGenerationStreamsTheEnginesTextWithTheStrengthAppliedAtEveryToken()
    {
        var events = await _hub.GenerateAsync(ChatConnection.Request("Once upon a time", 24, ChatConnection.Vector("happy", 1.5f)));
        Assert.That(events[0].Kind, Is.EqualTo("started"));
        Assert.That(events.Text(), Is.EqualTo(_world.Expected("Once upon a time", 24, Happy(1.5f))));
        var tokens = events.Tokens();
        Assert.That(tokens.Select(t => t.Index), Is.EqualTo(Enumerable.Range(0, tokens.Count)));
        Assert.That(tokens.All(t => t.Applied.SequenceEqual([1.5f]) && t.Projection.Length == 1 && float.IsFinite(t.Projection[0])), Is.True);
        Assert.That(tokens.Select(t => t.Projection[0]).Distinct().Count(), Is.GreaterThan(1), "the projection follows the residual token by token");
        Assert.That(events[^1].Kind, Is.EqualTo("done"));
    }

    [Test]
    public async Task MovingASliderMidAnswerChangesTheTextFromThatTokenOn()
    {
        var request = ChatConnection.Request("Once upon a time", 60, ChatConnection.Vector("happy", 1f));
        request.PaceMs = 30;
        var unchanged = await _hub.GenerateAsync(request);
        var changedAt = -1;
        var events = await _hub.GenerateAsync(request, async e =>
        {
            if (e.Kind == "token" && e.Index == 4)
            {
                Assert.That(await _hub.InvokeAsync<int>("ChangePlan", e.Id, new List<ChatVector> { ChatConnection.Vector("happy", -6f) }), Is.EqualTo(1));
                changedAt = e.Index + 1;
            }
        });
        var tokens = events.Tokens();
        var k = tokens.FindIndex(t => t.Revision == 1);
        Assert.That(k, Is.GreaterThanOrEqualTo(changedAt), "no earlier token carries the new plan");
        Assert.That(k, Is.LessThan(tokens.Count - 5), "the change arrived while the answer was being written");
        Assert.That(unchanged.Text(), Does.StartWith(string.Concat(tokens.Take(k).Select(t => t.Text))));
        Assert.That(events.Text(), Is.Not.EqualTo(unchanged.Text()));
        Assert.That(tokens.Skip(k).All(t => t.Applied.SequenceEqual([-6f])), Is.True);
        Assert.That(events.Any(e => e.Kind == "plan" && e.Revision == 1), Is.True);
    }

    [Test]
    public async Task CompareModeStreamsTheUnsteeredAnswerBesideTheSteeredOne()
    {
        var request = ChatConnection.Request("Lily had a little dog", 24, ChatConnection.Vector("happy", 3f));
        request.Compare = true;
        var events = await _hub.GenerateAsync(request);
        Assert.That(events.Text("steered"), Is.EqualTo(_world.Expected("Lily had a little dog", 24, Happy(3f))));
        Assert.That(events.Text("plain"), Is.EqualTo(_world.Expected("Lily had a little dog", 24)));
        Assert.That(events.Text("steered"), Is.Not.EqualTo(events.Text("plain")));
        Assert.That(events.Tokens("plain").All(t => t.Applied.Length == 0), Is.True);
        Assert.That(events.Count(e => e.Kind == "done"), Is.EqualTo(2));
    }

    [Test]
    public async Task BadInputIsRefusedWithAMessageAndAnotherUsersGenerationCarriesOn()
    {
        await using var other = await ChatConnection.OpenAsync(_server.Address);
        var paced = ChatConnection.Request("Once upon a time", 40, ChatConnection.Vector("sad", 2f));
        paced.PaceMs = 20;
        var running = other.GenerateAsync(paced);

        async Task<string> Refusal(Func<Task> call)
        {
            var e = Assert.CatchAsync<HubException>(async () => await call());
            return e!.Message;
        }

        Assert.That(await Refusal(() => _hub.GenerateAsync(ChatConnection.Request("Hi", 8, ChatConnection.Vector("happy", 9f)))),
            Does.Contain("Strength 9 for vector 'happy' is outside the slider's range -8..8"));
        Assert.That(await Refusal(() => _hub.GenerateAsync(ChatConnection.Request("Hi", 8, ChatConnection.Vector("happy", 1f, "7")))),
            Does.Contain("layers"));
        Assert.That(await Refusal(() => _hub.GenerateAsync(ChatConnection.Request("Hi", 8, ChatConnection.Vector("nope", 1f)))),
            Does.Contain("No vector 'nope'"));

        using var rest = new ServerClient(_server.Address);
        var body = new JsonObject { ["model"] = "llama-3-8b", ["vectors"] = new JsonArray(new JsonObject { ["id"] = "happy", ["strength"] = 1 }) };
        var (status, _) = await rest.SendAsync(new HttpRequestMessage(HttpMethod.Put, "/v1/steering/presets/elsewhere") { Content = ServerClient.Json(body) });
        Assert.That(status, Is.EqualTo(201));
        Assert.That(await Refusal(() => _hub.InvokeAsync<List<ChatVector>>("LoadPreset", "elsewhere")),
            Does.Contain("Preset 'elsewhere' was saved for model 'llama-3-8b'; this server serves 'stories260K'"));

        var finished = await _hub.GenerateAsync(ChatConnection.Request("Hi", 4));
        var id = finished[0].Id;
        Assert.That(await Refusal(() => _hub.InvokeAsync<int>("ChangePlan", id, new List<ChatVector>())), Does.Contain("has finished"));
        Assert.That(await Refusal(() => other.InvokeAsync<int>("ChangePlan", id, new List<ChatVector>())), Does.Contain($"No generation '{id}' was started by this connection"));
        Assert.That(await Refusal(() => _hub.InvokeAsync<int>("ChangePlan", "gen-0", new List<ChatVector>())), Does.Contain("No generation 'gen-0'"));

        // The wrong shape: a number where the request object belongs.
        Assert.That(await Refusal(async () => { await foreach (var _ in _hub.StreamAsync<ChatEvent>("Generate", 42)) { } }), Does.Contain("Error binding arguments"));

        // Too large: a 100 kB message closes only the sender's connection.
        await using var big = await ChatConnection.OpenAsync(_server.Address);
        var closed = new TaskCompletionSource<Exception?>();
        big.Closed += e => { closed.TrySetResult(e); return Task.CompletedTask; };
        Assert.CatchAsync(async () => await big.GenerateAsync(ChatConnection.Request(new string('a', 100_000), 8)));
        Assert.That((await closed.Task.WaitAsync(TimeSpan.FromSeconds(30)))?.Message, Does.Contain("error"));

        var carried = await running;
        Assert.That(carried.Text(), Is.EqualTo(_world.Expected("Once upon a time", 40, ServingWorld.Plan(new SteeringTerm(_world.Sad, 2f)))));
        Assert.That(_hub.State, Is.EqualTo(HubConnectionState.Connected), "refusals leave the connection open");
    }

    [Test]
    public async Task CancelEndsTheStreamEarlyAndFreesTheSlot()
    {
        var request = ChatConnection.Request("Once upon a time", 100, ChatConnection.Vector("happy", 1f));
        request.PaceMs = 20;
        var events = await _hub.GenerateAsync(request, async e =>
        {
            if (e.Kind == "token" && e.Index == 2) Assert.That(await _hub.InvokeAsync<bool>("Cancel", e.Id), Is.True);
        });
        Assert.That(events.Tokens().Count, Is.InRange(3, 99), "the stream ended after the cancel, without an error");
        Assert.That(await _hub.InvokeAsync<bool>("Cancel", events[0].Id), Is.False, "a finished generation has nothing to cancel");
        using var rest = new ServerClient(_server.Address);
        JsonNode? health = null;
        for (var i = 0; i < 100; i++)
        {
            (_, health) = await rest.GetAsync("/health");
            if ((int)health!["slots_idle"]! == (int)health["slots"]!) break;
            await Task.Delay(100);
        }
        Assert.That((int)health!["slots_idle"]!, Is.EqualTo((int)health["slots"]!), "the cancelled sequence left its slot");
    }

    [Test]
    public async Task WithApiKeysTheHubNeedsAnInferenceKey()
    {
        await using var guarded = await ServerProcess.StartAsync(_world.NewDataDir(), "--api-key-file", _world.KeyFile);
        var url = new Uri(guarded.Address, "/hub/chat");
        await using var anonymous = new HubConnectionBuilder().WithUrl(url).AddMessagePackProtocol().Build();
        Assert.CatchAsync(async () =>
        {
            await anonymous.StartAsync();
            await anonymous.InvokeAsync<ChatSetup>("Describe");
        }, "a connection without a key is closed");

        await using var keyed = new HubConnectionBuilder()
            .WithUrl(url, o => o.AccessTokenProvider = () => Task.FromResult<string?>(ServingWorld.InferenceKey))
            .AddMessagePackProtocol().Build();
        await keyed.StartAsync();
        Assert.That((await keyed.InvokeAsync<ChatSetup>("Describe")).Model, Is.EqualTo("stories260K"));
    }
}
