using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.Host.Tests.Serving;

/// <summary>
/// The real <c>llamasteer serve</c> over a real loopback socket with the real model: OpenAI's formats, steering through
/// the body, a preset model id and the X-Steering header, isolation of concurrent requests, cancellation, bad input.
/// Expected texts come from the in-process engine (TextGenerator, through ServingWorld.Expected).
/// </summary>
[TestFixture]
[NonParallelizable]
public class ServeApiTests
{
    private ServingWorld _world = null!;
    private ServerProcess _server = null!;
    private ServerClient _client = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _world = new ServingWorld();
        _server = await ServerProcess.StartAsync(_world.NewDataDir(), "--vectors", _world.VectorDir, "--api-key-file", _world.KeyFile, "--max-body-bytes", "65536", "--parallel", "4");
        _client = new ServerClient(_server.Address, ServingWorld.AdminKey);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        _world.Dispose();
    }

    private static JsonObject Completion(string prompt, int maxTokens, JsonNode? steering = null, bool stream = false) => new()
    {
        ["model"] = "stories260K",
        ["prompt"] = prompt,
        ["max_tokens"] = maxTokens,
        ["temperature"] = 0,
        ["stream"] = stream,
        ["steering"] = steering,
    };

    private static JsonObject Chat(string message, int maxTokens, string model = "stories260K", bool stream = false) => new()
    {
        ["model"] = model,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = message }),
        ["max_tokens"] = maxTokens,
        ["temperature"] = 0,
        ["stream"] = stream,
    };

    private static JsonObject Steer(string id, float strength, string? layers = null, string? window = null) => new()
    {
        ["vectors"] = new JsonArray(new JsonObject { ["id"] = id, ["strength"] = strength, ["layers"] = layers, ["window"] = window }),
    };

    private SteeringTerm Term(SteeringVector v, float strength, string? layers = null, TokenWindow? window = null) =>
        new(v, strength, layers is null ? null : LayerSet.Parse(layers, _world.Model.LayerCount), SteeringOperator.Add, window);

    [Test]
    public async Task GreedyCompletionsMatchTheEngineAloneWithAndWithoutSteering()
    {
        var (status, plain) = await _client.PostAsync("/v1/completions", Completion("Once upon a time", 20));
        Assert.That(status, Is.EqualTo(200), plain?.ToJsonString());
        Assert.That((string?)plain!["object"], Is.EqualTo("text_completion"));
        Assert.That((string?)plain["choices"]![0]!["text"], Is.EqualTo(_world.Expected("Once upon a time", 20)));
        Assert.That((int)plain["usage"]!["completion_tokens"]!, Is.EqualTo(20));
        Assert.That(plain["steering"], Is.Null, "an unsteered request carries no steering echo");

        var (_, steered) = await _client.PostAsync("/v1/completions", Completion("Once upon a time", 20, Steer("happy", 2f, "1-3")));
        var expected = _world.Expected("Once upon a time", 20, ServingWorld.Plan(Term(_world.Happy, 2f, "1-3")));
        Assert.That((string?)steered!["choices"]![0]!["text"], Is.EqualTo(expected));
        Assert.That(expected, Is.Not.EqualTo((string?)plain["choices"]![0]!["text"]), "the vector should change the text");
        var echo = steered["steering"]!;
        Assert.That((string?)echo["fingerprint"], Does.StartWith("sha256:"));
        Assert.That((string?)echo["resolved"]![0]!["name"], Is.EqualTo("happy"));
        Assert.That((string?)echo["resolved"]![0]!["layers"], Is.EqualTo("1-3"));
        Assert.That((string?)echo["resolved"]![0]!["id"], Is.EqualTo(Steering.Contextual.ClasParameters.Fingerprint(_world.Happy)[..16]), "ids are content addresses");
        Assert.That(steered.ToJsonString(), Does.Not.Contain(_world.Root), "no path in a response");
    }

    [Test]
    public async Task StreamedChatIsInOpenAisChunkFormatAndHasTheSameText()
    {
        var body = Chat("Tell me a story", 16, stream: true);
        body["stream_options"] = new JsonObject { ["include_usage"] = true };
        var events = await _client.StreamAsync("/v1/chat/completions", body);
        Assert.That(events[^1], Is.EqualTo("[DONE]"));
        var chunks = events.SkipLast(1).Select(e => JsonNode.Parse(e)!).ToList();
        Assert.That(chunks.All(c => (string?)c["object"] == "chat.completion.chunk"));
        Assert.That(chunks.Select(c => (string?)c["id"]).Distinct().Count(), Is.EqualTo(1));
        Assert.That((string?)chunks[0]["choices"]![0]!["delta"]!["role"], Is.EqualTo("assistant"));
        var finishing = chunks[^2]["choices"]![0]!;
        Assert.That((string?)finishing["finish_reason"], Is.EqualTo("length"));
        Assert.That(chunks.SkipLast(2).All(c => c["choices"]![0]!["finish_reason"] is null));
        Assert.That(chunks[^1]["choices"]!.AsArray(), Is.Empty, "the usage chunk has no choices");
        Assert.That((int)chunks[^1]["usage"]!["completion_tokens"]!, Is.EqualTo(16));

        var (_, whole) = await _client.PostAsync("/v1/chat/completions", Chat("Tell me a story", 16));
        var text = (string?)whole!["choices"]![0]!["message"]!["content"];
        Assert.That(ServerClient.TextOf(events), Is.EqualTo(text));
        Assert.That(text, Is.EqualTo(_world.Expected("Tell me a story", 16, chat: true)));
    }

    [Test]
    public async Task APresetModelIdAndTheHeaderSteerExactlyLikeTheBodyField()
    {
        var spec = Steer("sad", 1.5f, "2-4");
        var (put, preset) = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Put, "/v1/steering/presets/gloomy") { Content = ServerClient.Json(spec) });
        Assert.That(put, Is.AnyOf(200, 201), preset?.ToJsonString());
        var (_, models) = await _client.GetAsync("/v1/models");
        Assert.That(models!["data"]!.AsArray().Select(m => (string?)m!["id"]), Does.Contain("stories260K:gloomy"));

        var viaBody = Chat("Hello", 12);
        viaBody["steering"] = spec.DeepClone();
        var (_, a) = await _client.PostAsync("/v1/chat/completions", viaBody);
        var (_, b) = await _client.PostAsync("/v1/chat/completions", Chat("Hello", 12, model: "stories260K:gloomy"));
        var (_, c) = await _client.PostAsync("/v1/chat/completions", Chat("Hello", 12), new Dictionary<string, string> { ["X-Steering"] = spec.ToJsonString() });
        string Text(JsonNode? r) => (string)r!["choices"]![0]!["message"]!["content"]!;
        var expected = _world.Expected("Hello", 12, ServingWorld.Plan(Term(_world.Sad, 1.5f, "2-4")), chat: true);
        Assert.That(Text(a), Is.EqualTo(expected));
        Assert.That(Text(b), Is.EqualTo(expected));
        Assert.That(Text(c), Is.EqualTo(expected));
        Assert.That((string?)b!["steering"]!["fingerprint"], Is.EqualTo((string?)a!["steering"]!["fingerprint"]));
        Assert.That((string?)b["model"], Is.EqualTo("stories260K:gloomy"));
    }

    [Test]
    public async Task ConcurrentStreamsWithDifferentSteeringEachGetTheirTextAlone()
    {
        var specs = new (JsonObject? Spec, Steering.SteeringPlan? Plan)[]
        {
            (null, null),
            (Steer("happy", 2f, "1-4"), ServingWorld.Plan(Term(_world.Happy, 2f, "1-4"))),
            (Steer("sad", -1f, "3", "generated"), ServingWorld.Plan(Term(_world.Sad, -1f, "3", TokenWindow.Generated))),
            (Steer("happy", 1f, "2"), ServingWorld.Plan(Term(_world.Happy, 1f, "2"))),
        };
        var streams = specs.Select(s => _client.StreamAsync("/v1/completions", Completion("The little dog", 24, s.Spec, stream: true))).ToArray();
        var results = await Task.WhenAll(streams);
        for (var i = 0; i < specs.Length; i++)
            Assert.That(ServerClient.TextOf(results[i]), Is.EqualTo(_world.Expected("The little dog", 24, specs[i].Plan)), $"request {i}");
        Assert.That(results.Select(ServerClient.TextOf).Distinct().Count(), Is.EqualTo(specs.Length));
        var last = JsonNode.Parse(results[1][^2])!;
        Assert.That(last["steering"]?["fingerprint"], Is.Not.Null, "the last chunk echoes the steering");
    }

    [Test]
    public async Task CompareReturnsTheUnsteeredAnswerBesideTheSteeredOne()
    {
        var spec = Steer("happy", 2f, "1-4");
        spec["compare"] = true;
        var (_, r) = await _client.PostAsync("/v1/completions", Completion("Lily saw a bird", 16, spec));
        Assert.That((string?)r!["choices"]![0]!["text"], Is.EqualTo(_world.Expected("Lily saw a bird", 16, ServingWorld.Plan(Term(_world.Happy, 2f, "1-4")))));
        Assert.That((string?)r["steering"]!["compare"]!["unsteered"], Is.EqualTo(_world.Expected("Lily saw a bird", 16)));
    }

    [Test]
    public async Task ADisconnectedStreamFreesItsSlot()
    {
        using var cancel = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = ServerClient.Json(Completion("Once upon a time", 240, stream: true)) };
        using (var response = await _client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var first = await reader.ReadLineAsync();
            Assert.That(first, Does.StartWith("data: "));
            var (_, busy) = await _client.GetAsync("/health");
            Assert.That((int)busy!["slots_idle"]!, Is.LessThan(4), "the stream should hold a slot while it runs");
        }
        // Disposing the response closed the connection: the server must notice and free the slot long before 240 tokens.
        var idle = 0;
        for (var i = 0; i < 200 && idle < 4; i++)
        {
            await Task.Delay(25);
            idle = (int)(await _client.GetAsync("/health")).Body!["slots_idle"]!;
        }
        Assert.That(idle, Is.EqualTo(4));
        var (_, metrics) = (0, await _client.Http.GetStringAsync("/metrics"));
        Assert.That(metrics, Does.Contain("llamasteer_requests_total{endpoint=\"/v1/completions\",status=\"200\"}"));
        Assert.That(metrics, Does.Contain("llamasteer_time_to_first_token_seconds_bucket"));
        Assert.That(metrics, Does.Contain("llamasteer_active_sequences"));
    }

    [Test]
    public async Task RegistryUploadsAreValidatedStoredContentAddressedAndDeletable()
    {
        var fresh = new SteeringVector(64, new Dictionary<int, float[]> { [2] = Enumerable.Range(0, 64).Select(i => (float)Math.Sin(i)).ToArray() }, "llama");
        var file = Path.Combine(_world.Root, "fresh.gguf");
        ControlVectorFile.Write(fresh, file);
        var (status, created) = await Upload(File.ReadAllBytes(file), "fresh");
        Assert.That(status, Is.EqualTo(201), created?.ToJsonString());
        var id = (string)created!["id"]!;
        Assert.That(id, Is.EqualTo(Steering.Contextual.ClasParameters.Fingerprint(fresh)[..16]));
        Assert.That((await Upload(File.ReadAllBytes(file), "fresh")).Status, Is.EqualTo(200), "the same content again is the same vector");
        Assert.That((await _client.GetAsync($"/v1/steering/vectors/{id}")).Status, Is.EqualTo(200));
        Assert.That((await _client.GetAsync("/v1/steering/vectors/fresh")).Status, Is.EqualTo(200), "found by name too");
        var (_, list) = await _client.GetAsync("/v1/steering/vectors");
        Assert.That(list!.ToJsonString(), Does.Not.Contain(_world.Root));
        Assert.That((await _client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/v1/steering/vectors/{id}"))).Status, Is.EqualTo(200));
        Assert.That((await _client.GetAsync($"/v1/steering/vectors/{id}")).Status, Is.EqualTo(404));
    }

    private Task<(int Status, JsonNode? Body)> Upload(byte[] content, string? name, ServerClient? client = null)
    {
        var form = new MultipartFormDataContent();
        var part = new ByteArrayContent(content);
        part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(part, "file", "upload.gguf");
        if (name is not null) form.Add(new StringContent(name), "name");
        return (client ?? _client).SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/steering/vectors") { Content = form });
    }

    [Test]
    public async Task EveryBadInputIsA4xxEnvelopeNamingTheProblemAndNothingIsStored()
    {
        var before = (await _client.GetAsync("/v1/steering/vectors")).Body!["data"]!.AsArray().Count;
        var presetsBefore = (await _client.GetAsync("/v1/steering/presets")).Body!["data"]!.AsArray().Count;
        async Task Expect(Task<(int Status, JsonNode? Body)> call, int status, string? param, string what)
        {
            var (s, body) = await call;
            Assert.That(s, Is.EqualTo(status), $"{what}: {body?.ToJsonString()}");
            var error = body?["error"];
            Assert.That(error, Is.Not.Null, $"{what}: no error envelope");
            Assert.That((string?)error!["message"], Is.Not.Empty, what);
            Assert.That((string?)error["type"], Is.Not.Null, what);
            if (param is not null) Assert.That((string?)error["param"], Is.EqualTo(param), what);
        }
        Task<(int, JsonNode?)> Raw(string path, string text, string? key = ServingWorld.AdminKey)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(text, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = key is null ? null : new AuthenticationHeaderValue("Bearer", key);
            return new ServerClient(_server.Address).SendAsync(request);
        }
        JsonObject WithSteering(JsonObject spec) { var c = Chat("Hi", 4); c["steering"] = spec; return c; }

        await Expect(Raw("/v1/chat/completions", "{\"messages\": [", ServingWorld.AdminKey), 400, null, "malformed JSON");
        await Expect(Raw("/v1/completions", "{\"prompt\": \"" + new string('a', 100_000) + "\"}"), 413, null, "body over the limit");
        await Expect(_client.PostAsync("/v1/chat/completions", new JsonObject { ["messages"] = new JsonArray() }), 400, "messages", "empty messages");
        await Expect(_client.PostAsync("/v1/completions", new JsonObject { ["prompt"] = "Hi", ["max_tokens"] = -5 }), 400, "max_tokens", "negative max_tokens");
        await Expect(_client.PostAsync("/v1/completions", new JsonObject { ["prompt"] = "Hi", ["max_tokens"] = 10_000_000 }), 400, "max_tokens", "huge max_tokens");
        await Expect(_client.PostAsync("/v1/completions", new JsonObject { ["prompt"] = "Hi", ["temperature"] = "hot" }), 400, "temperature", "wrong type");
        await Expect(_client.PostAsync("/v1/chat/completions", WithSteering(Steer("nosuch", 1f))), 404, "steering.vectors[0].id", "unknown vector");
        await Expect(_client.PostAsync("/v1/chat/completions", Chat("Hi", 4, model: "stories260K:nosuch")), 404, "model", "unknown preset");
        await Expect(_client.PostAsync("/v1/chat/completions", Chat("Hi", 4, model: "gpt-4")), 404, "model", "unknown model");
        await Expect(_client.PostAsync("/v1/chat/completions", WithSteering(Steer("happy", 1f, "1-9"))), 400, "steering.vectors[0].layers", "layer outside the model");
        await Expect(_client.PostAsync("/v1/chat/completions", WithSteering(new JsonObject { ["vectors"] = new JsonArray(new JsonObject { ["id"] = "happy", ["strength"] = "NaN" }) })), 400, "steering.vectors[0].strength", "NaN strength");
        await Expect(Raw("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"steering\":{\"vectors\":[{\"id\":\"happy\",\"strength\":NaN}]}}"), 400, null, "a bare NaN literal");
        await Expect(_client.PostAsync("/v1/chat/completions", Chat("Hi", 4), new Dictionary<string, string> { ["X-Steering"] = "{not json" }), 400, "X-Steering", "bad header");
        await Expect(Upload(File.ReadAllBytes(_world.OtherModelVector), "wide"), 422, "file", "a vector for another model");
        var good = File.ReadAllBytes(Path.Combine(_world.VectorDir, "happy.gguf"));
        await Expect(Upload(good[..(good.Length / 2)], "truncated"), 400, "file", "a truncated upload");
        await Expect(Upload(Encoding.UTF8.GetBytes("this is not a gguf file at all"), "text"), 400, "file", "a non-GGUF upload");
        await Expect(Upload(good, "../escape"), 400, "name", "a name with ../");
        await Expect(_client.SendAsync(new HttpRequestMessage(HttpMethod.Put, "/v1/steering/presets/..%2Fescape") { Content = ServerClient.Json(Steer("happy", 1f)) }), 400, "name", "a preset name with ../");
        await Expect(_client.SendAsync(new HttpRequestMessage(HttpMethod.Put, "/v1/steering/presets/broken") { Content = ServerClient.Json(Steer("nosuch", 1f)) }), 404, null, "a preset with an unknown vector");
        await Expect(Raw("/v1/chat/completions", Chat("Hi", 4).ToJsonString(), key: null), 401, null, "no key");
        await Expect(Raw("/v1/chat/completions", Chat("Hi", 4).ToJsonString(), key: "wrong-key-0123456789"), 401, null, "a wrong key");
        using (var inference = new ServerClient(_server.Address, ServingWorld.InferenceKey))
            await Expect(Upload(good, "viewer", inference), 403, null, "an inference key writing the registry");

        Assert.That((await _client.GetAsync("/v1/steering/vectors")).Body!["data"]!.AsArray(), Has.Count.EqualTo(before), "nothing stored");
        Assert.That((await _client.GetAsync("/v1/steering/presets")).Body!["data"]!.AsArray(), Has.Count.EqualTo(presetsBefore), "no preset stored");
        Assert.That(Directory.EnumerateFiles(_world.Root, "*escape*", SearchOption.AllDirectories), Is.Empty);
        var (ok, after) = await _client.PostAsync("/v1/completions", Completion("Once upon a time", 8));
        Assert.That(ok, Is.EqualTo(200), "the server keeps serving");
        Assert.That((string?)after!["choices"]![0]!["text"], Is.EqualTo(_world.Expected("Once upon a time", 8)));
    }
}
