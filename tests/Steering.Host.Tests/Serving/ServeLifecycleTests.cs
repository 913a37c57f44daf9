using System.Text.Json.Nodes;

namespace LlamaSteer.Host.Tests.Serving;

/// <summary>
/// The server's life: SIGINT stops it gracefully with exit code 0 (a running request still completes), a restart on the
/// same data directory keeps vectors and presets, and a bounded load (16 clients, 200 requests, random steering, some
/// cancelled mid-stream) sees no 5xx, completes every other request, and leaves memory near its baseline.
/// </summary>
[TestFixture]
[NonParallelizable]
public class ServeLifecycleTests
{
    private ServingWorld _world = null!;

    [OneTimeSetUp] public void Create() => _world = new ServingWorld();

    [OneTimeTearDown] public void Free() => _world.Dispose();

    private static JsonObject Completion(string prompt, int maxTokens, string model = "stories260K", JsonNode? steering = null, bool stream = false) => new()
    {
        ["model"] = model,
        ["prompt"] = prompt,
        ["max_tokens"] = maxTokens,
        ["temperature"] = 0,
        ["stream"] = stream,
        ["steering"] = steering,
    };

    [Test]
    public async Task ARestartKeepsVectorsAndPresetsAndSigintStopsGracefullyWithExitCodeZero()
    {
        var data = _world.NewDataDir();
        var spec = new JsonObject { ["vectors"] = new JsonArray(new JsonObject { ["id"] = "sad", ["strength"] = 2, ["layers"] = "1-4" }) };
        string before;
        string vectorsBefore;
        await using (var first = await ServerProcess.StartAsync(data, "--vectors", _world.VectorDir))
        {
            using var client = new ServerClient(first.Address);
            Assert.That((await client.SendAsync(new HttpRequestMessage(HttpMethod.Put, "/v1/steering/presets/blue") { Content = ServerClient.Json(spec) })).Status, Is.EqualTo(201));
            before = (string)(await client.PostAsync("/v1/completions", Completion("The sky", 16, "stories260K:blue"))).Body!["choices"]![0]!["text"]!;
            vectorsBefore = (await client.GetAsync("/v1/steering/vectors")).Body!["data"]!.ToJsonString();

            // A request running when SIGINT arrives still completes within the grace period.
            var running = client.StreamAsync("/v1/completions", Completion("Once upon a time", 200, stream: true));
            await Task.Delay(50);
            Assert.That(await first.InterruptAsync(), Is.EqualTo(0), first.Stderr);
            var events = await running;
            Assert.That(events[^1], Is.EqualTo("[DONE]"), "the in-flight stream should finish, not break");
        }

        await using var second = await ServerProcess.StartAsync(data);
        using var again = new ServerClient(second.Address);
        Assert.That((await again.GetAsync("/v1/steering/vectors")).Body!["data"]!.ToJsonString(), Is.EqualTo(vectorsBefore), "vectors survive without --vectors");
        Assert.That((await again.GetAsync("/v1/steering/presets/blue")).Status, Is.EqualTo(200));
        var after = (string)(await again.PostAsync("/v1/completions", Completion("The sky", 16, "stories260K:blue"))).Body!["choices"]![0]!["text"]!;
        Assert.That(after, Is.EqualTo(before));
        Assert.That(Directory.EnumerateFiles(data, "*.tmp", SearchOption.AllDirectories), Is.Empty, "no temporary files left");
        Assert.That(await second.InterruptAsync(), Is.EqualTo(0));
    }

    [Test]
    public void AModelThatFailsToLoadExitsWithOneAndBadOptionsWithTwo()
    {
        var missing = Cli.CliRunner.Run(["serve", "--port", "0", "--data-dir", _world.NewDataDir(), "--model", Path.Combine(_world.Root, "nope.gguf")]);
        Assert.That(missing.ExitCode, Is.EqualTo(1), missing.Stderr);
        Assert.That(missing.Stderr, Does.Contain("llamasteer: ").And.Contain("nope.gguf"));
        var port = Cli.CliRunner.Run(["serve", "--port", "70000"]);
        Assert.That(port.ExitCode, Is.EqualTo(2), port.Stderr);
        Assert.That(port.Stderr, Does.Contain("--port 70000"));
        var parallel = Cli.CliRunner.Run(["serve", "--parallel", "many"]);
        Assert.That(parallel.ExitCode, Is.EqualTo(2), parallel.Stderr);
        Assert.That(parallel.Stderr, Does.StartWith("llamasteer: "));
    }

    [Test]
    public async Task TwoReplicasOnOneDataDirectorySeeEachOthersRegistryChanges()
    {
        var data = _world.NewDataDir();
        await using var a = await ServerProcess.StartAsync(data);
        await using var b = await ServerProcess.StartAsync(data);
        using var ca = new ServerClient(a.Address);
        using var cb = new ServerClient(b.Address);
        var form = new MultipartFormDataContent { { new ByteArrayContent(File.ReadAllBytes(Path.Combine(_world.VectorDir, "happy.gguf"))), "file", "happy.gguf" } };
        Assert.That((await ca.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/steering/vectors") { Content = form })).Status, Is.EqualTo(201));
        var spec = new JsonObject { ["vectors"] = new JsonArray(new JsonObject { ["id"] = "happy", ["strength"] = 1.5 }) };
        Assert.That((await ca.SendAsync(new HttpRequestMessage(HttpMethod.Put, "/v1/steering/presets/shared") { Content = ServerClient.Json(spec) })).Status, Is.EqualTo(201));

        var viaA = (await ca.PostAsync("/v1/completions", Completion("The sun", 12, "stories260K:shared"))).Body!["choices"]![0]!["text"]!.ToString();
        var (status, viaB) = await cb.PostAsync("/v1/completions", Completion("The sun", 12, "stories260K:shared"));
        Assert.That(status, Is.EqualTo(200), viaB?.ToJsonString());
        Assert.That((string?)viaB!["choices"]![0]!["text"], Is.EqualTo(viaA));

        Assert.That((await cb.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/v1/steering/vectors/happy"))).Status, Is.EqualTo(200));
        Assert.That((await ca.GetAsync("/v1/steering/vectors/happy")).Status, Is.EqualTo(404), "a deletion on one replica is seen by the other");
        Assert.That((await ca.PostAsync("/v1/completions", Completion("The sun", 12, "stories260K:shared"))).Status, Is.EqualTo(404), "the preset's vector is gone");
    }

    [Test]
    public async Task BoundedLoadWithRandomSteeringAndCancellationsHasNo5xxAndMemoryReturnsNearBaseline()
    {
        await using var server = await ServerProcess.StartAsync(_world.NewDataDir(), "--vectors", _world.VectorDir, "--parallel", "4", "--queue-limit", "256");
        using var client = new ServerClient(server.Address);
        async Task<int> Warm()
        {
            var tasks = Enumerable.Range(0, 16).Select(_ => client.PostAsync("/v1/completions", Completion("Warm up", 8)));
            return (await Task.WhenAll(tasks)).Count(r => r.Status == 200);
        }
        Assert.That(await Warm(), Is.EqualTo(16));
        var baseline = server.ResidentBytes();

        var statuses = new System.Collections.Concurrent.ConcurrentBag<int>();
        var completed = 0;
        var cancelled = 0;
        var next = -1;
        async Task Worker(int worker)
        {
            var rng = new Random(worker);
            while (Interlocked.Increment(ref next) < 200)
            {
                var names = new[] { "happy", "sad" };
                JsonObject? steering = rng.Next(3) == 0 ? null : new JsonObject
                {
                    ["vectors"] = new JsonArray(new JsonObject
                    {
                        ["id"] = names[rng.Next(2)],
                        ["strength"] = Math.Round(rng.NextDouble() * 4 - 2, 2),
                        ["layers"] = $"{rng.Next(1, 3)}-{rng.Next(3, 5)}",
                        ["window"] = rng.Next(2) == 0 ? "all" : "generated",
                    }),
                };
                var body = Completion("Once upon a time", rng.Next(4, 24), steering: steering, stream: true);
                body["temperature"] = rng.Next(2) == 0 ? 0 : 0.8;
                var cancel = rng.Next(5) == 0;
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = ServerClient.Json(body) };
                using var response = await client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                statuses.Add((int)response.StatusCode);
                if (!response.IsSuccessStatusCode) continue;
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
                string? last = null;
                var lines = 0;
                while (await reader.ReadLineAsync() is { } line)
                {
                    if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
                    last = line;
                    if (cancel && ++lines == 2) break;
                }
                if (cancel && last != "data: [DONE]") Interlocked.Increment(ref cancelled);
                else if (last == "data: [DONE]") Interlocked.Increment(ref completed);
                else Assert.Fail($"a stream ended without [DONE]: {last}");
            }
        }
        await Task.WhenAll(Enumerable.Range(0, 16).Select(Worker));

        Assert.That(statuses, Has.Count.EqualTo(200));
        Assert.That(statuses.Where(s => s >= 500), Is.Empty, "no 5xx");
        Assert.That(statuses.All(s => s == 200), Is.True, $"statuses: {string.Join(",", statuses.Distinct())}");
        Assert.That(completed + cancelled, Is.EqualTo(200));
        Assert.That(cancelled, Is.GreaterThan(0), "some requests should have been cancelled mid-stream");
        var idle = 0;
        for (var i = 0; i < 200 && idle < 4; i++)
        {
            await Task.Delay(25);
            idle = (int)(await client.GetAsync("/health")).Body!["slots_idle"]!;
        }
        Assert.That(idle, Is.EqualTo(4), "every slot is free again");
        Assert.That(await Warm(), Is.EqualTo(16), "the server still serves everyone");
        var after = server.ResidentBytes();
        TestContext.Out.WriteLine($"resident memory: baseline {baseline / 1e6:F1} MB, after the load {after / 1e6:F1} MB; completed {completed}, cancelled {cancelled}");
        Assert.That(after, Is.LessThan(baseline * 1.5 + 32e6), "memory should come back near its baseline");
    }
}
