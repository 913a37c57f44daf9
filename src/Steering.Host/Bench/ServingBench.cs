using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LlamaSteer.Generation;
using LlamaSteer.Vectors;

namespace LlamaSteer.Host.Bench;

/// <summary>
/// A <c>llamasteer serve</c> child process on a free loopback port for the HTTP rows: the bench's request vectors are
/// registered through <c>--vectors</c>, and requests go over real sockets as streaming <c>/v1/completions</c> calls.
/// Returns aggregate generated tokens per second of wall time (counted from each stream's usage chunk), or times to the
/// first token in milliseconds.
/// </summary>
internal sealed partial class ServingBench : IDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http;
    private readonly string _vectorDir;

    private ServingBench(Process process, Uri address, string vectorDir)
    {
        _process = process;
        _vectorDir = vectorDir;
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(10) };
    }

    /// <summary>Writes each vector as bench-N.gguf and starts a server with <paramref name="slots"/> slots on the model.</summary>
    public static ServingBench Start(string modelPath, IReadOnlyList<SteeringVector> vectors, int slots, int slotContext, int threads)
    {
        var root = Path.Combine(Path.GetTempPath(), "llamasteer-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var vectorDir = Directory.CreateDirectory(Path.Combine(root, "vectors")).FullName;
        for (var i = 0; i < vectors.Count; i++) ControlVectorFile.Write(vectors[i], Path.Combine(vectorDir, $"bench-{i}.gguf"));
        var self = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(typeof(ServingBench).Assembly.Location);
        foreach (var a in new[] { "serve", "--model", modelPath, "--port", "0", "--data-dir", Path.Combine(root, "data"), "--vectors", vectorDir,
                     "--parallel", $"{slots}", "--slot-context", $"{slotContext}", "--threads", $"{threads}", "--log-format", "json" })
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        process.StandardInput.Close();
        _ = process.StandardError.ReadToEndAsync();
        var line = process.StandardOutput.ReadLine();
        if (line is null || AddressLine().Match(line) is not { Success: true } m)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The bench server did not start: {line}");
        }
        _ = process.StandardOutput.ReadToEndAsync();
        return new ServingBench(process, new Uri(m.Value), root);
    }

    private static JsonObject Body(GenerationRequest request, int vector, int? maxTokens = null) => new()
    {
        ["model"] = null,
        ["prompt"] = request.Prompt,
        ["max_tokens"] = maxTokens ?? request.Options.MaxTokens,
        ["temperature"] = 0,
        ["stream"] = true,
        ["stream_options"] = new JsonObject { ["include_usage"] = true },
        // Every token as its own chunk, even one whose piece is empty text (a synthetic model's padded vocabulary
        // decodes to nothing, and a text-only stream would then send nothing until the end). logprobs 0 adds the
        // chosen token's log-probability only: one log-softmax per token, small beside a decode.
        ["logprobs"] = 0,
        ["steering"] = new JsonObject { ["vectors"] = new JsonArray(new JsonObject { ["id"] = $"bench-{vector}", ["strength"] = 1 }) },
    };

    /// <summary>Streams one request; reports the time of its first token's chunk and returns its generated token count.</summary>
    private async Task<int> Stream(JsonObject body, Stopwatch? firstToken = null, TaskCompletionSource? started = null, CancellationToken ct = default)
    {
        try
        {
            return await StreamCore(body, firstToken, started, ct);
        }
        catch (Exception e)
        {
            started?.TrySetException(e);
            throw;
        }
        finally
        {
            // A stream that ended before its first token must not leave the first-token row waiting for it.
            started?.TrySetResult();
        }
    }

    private async Task<int> StreamCore(JsonObject body, Stopwatch? firstToken, TaskCompletionSource? started, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        var tokens = 0;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (!line.StartsWith("data: {", StringComparison.Ordinal)) continue;
            var chunk = JsonNode.Parse(line.AsSpan(6).ToString())!;
            if (chunk["usage"] is JsonObject usage) tokens = (int)usage["completion_tokens"]!;
            else if (chunk["choices"]!.AsArray() is [{ } choice, ..] && (((string?)choice["text"])?.Length > 0 || choice["logprobs"]?["tokens"]?.AsArray().Count > 0))
            {
                firstToken?.Stop();
                started?.TrySetResult();
            }
        }
        return tokens;
    }

    public double Concurrent(IReadOnlyList<GenerationRequest> requests)
    {
        var watch = Stopwatch.StartNew();
        var tokens = Task.WhenAll(requests.Select((r, i) => Stream(Body(r, i)))).GetAwaiter().GetResult().Sum();
        return tokens / watch.Elapsed.TotalSeconds;
    }

    public double OneAfterAnother(IReadOnlyList<GenerationRequest> requests)
    {
        var watch = Stopwatch.StartNew();
        long tokens = 0;
        for (var i = 0; i < requests.Count; i++) tokens += Stream(Body(requests[i], i)).GetAwaiter().GetResult();
        return tokens / watch.Elapsed.TotalSeconds;
    }

    /// <summary>Milliseconds from sending the last request to its first token, while the others (already streaming) decode.</summary>
    public double FirstTokenMs(IReadOnlyList<GenerationRequest> requests, bool othersDecoding) => FirstToken(requests, othersDecoding).GetAwaiter().GetResult();

    private async Task<double> FirstToken(IReadOnlyList<GenerationRequest> requests, bool othersDecoding)
    {
        using var cancel = new CancellationTokenSource();
        var others = new List<Task>();
        if (othersDecoding)
        {
            var started = requests.SkipLast(1).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToList();
            for (var i = 0; i < started.Count; i++)
                others.Add(Stream(Body(requests[i], i, maxTokens: 4096), started: started[i], ct: cancel.Token));
            await Task.WhenAll(started.Select(s => s.Task));
        }
        var watch = Stopwatch.StartNew();
        await Stream(Body(requests[^1], requests.Count - 1), watch);
        await cancel.CancelAsync();
        try { await Task.WhenAll(others); } catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException) { }
        return watch.Elapsed.TotalMilliseconds;
    }

    public void Dispose()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
        try { Directory.Delete(_vectorDir, recursive: true); } catch (IOException) { }
    }

    [GeneratedRegex(@"http://[0-9.]+:[0-9]+")]
    private static partial Regex AddressLine();
}
