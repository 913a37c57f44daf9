using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using LlamaSteer.Generation;
using LlamaSteer.Host.Serving.Hosting;
using LlamaSteer.Host.Serving.Observability;
using LlamaSteer.Host.Serving.Steering;
using LlamaSteer.Serving;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace LlamaSteer.Host.Serving.Api;

/// <summary>
/// Runs one completion request on the scheduler (n choices, plus the unsteered answer when compare is asked for)
/// and writes it as one JSON response or as server-sent events in OpenAI's chunk format. A client that goes away
/// cancels every sequence of the request, which frees their slots.
/// </summary>
internal sealed class CompletionRunner(ServingEngine engine, ServingMetrics metrics, CompletionShape shape, CompletionRequest request, ResolvedSteering steering)
{
    private readonly string _id = shape.IdPrefix + Guid.NewGuid().ToString("N")[..24];
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>One sequence of the request and what it produced.</summary>
    private sealed class Choice(int index, ServedSequence sequence)
    {
        public int Index { get; } = index;
        public ServedSequence Sequence { get; } = sequence;
        public Stopwatch Clock { get; } = Stopwatch.StartNew();
        public List<ServedToken> Steps { get; } = [];
        public StringBuilder Text { get; } = new();
        public TimeSpan? FirstToken { get; set; }
        public GenerationResult? Result { get; set; }
    }

    public async Task RunAsync(HttpContext http)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        var choices = new List<Choice>();
        Choice? compare = null;
        try
        {
            var options = request.Options with { Plan = steering.Plan };
            for (var i = 0; i < request.Choices; i++)
            {
                var seeded = request.Options.Sampling.Seed is { } seed && i > 0 ? options with { Sampling = options.Sampling with { Seed = unchecked(seed + (uint)i) } } : options;
                choices.Add(new Choice(i, engine.Scheduler.Submit(new ServingRequest(request.Prompt, seeded, request.TopLogprobs), cancel.Token)));
            }
            if (steering.Compare)
                compare = new Choice(-1, engine.Scheduler.Submit(new ServingRequest(request.Prompt, request.Options with { Plan = null }), cancel.Token));
        }
        catch
        {
            // A refused choice (queue full) takes the ones already queued with it.
            await cancel.CancelAsync();
            throw;
        }
        try
        {
            if (request.Stream) await StreamAsync(http, choices, compare, cancel.Token);
            else await RespondAsync(http, choices, compare, cancel.Token);
        }
        finally
        {
            await cancel.CancelAsync();
        }
    }

    private async Task Collect(Choice c, Func<Choice, ServedToken, Task>? onToken, CancellationToken ct)
    {
        await foreach (var t in c.Sequence.ReadAllAsync(ct))
        {
            c.FirstToken ??= c.Clock.Elapsed;
            c.Steps.Add(t);
            c.Text.Append(t.Piece.Text);
            if (onToken is not null) await onToken(c, t);
        }
        c.Result = await c.Sequence.Completion;
        var stats = c.Result.Stats;
        metrics.Generation(steering.IsSteered && c.Index >= 0, stats.PromptTokens, stats.GeneratedTokens, c.FirstToken, stats.DecodeTokensPerSecond);
    }

    private async Task RespondAsync(HttpContext http, List<Choice> choices, Choice? compare, CancellationToken ct)
    {
        await Task.WhenAll(choices.Append(compare).OfType<Choice>().Select(c => Collect(c, null, ct)));
        var body = new JsonObject
        {
            ["id"] = _id,
            ["object"] = shape.Object,
            ["created"] = _created,
            ["model"] = request.Model,
            ["system_fingerprint"] = null,
            ["choices"] = new JsonArray(choices.Select(c => (JsonNode?)shape.Choice(c.Index, c.Text.ToString(), CompletionShape.FinishReason(c.Result!.Stats.StopReason), Logprobs(c.Steps, 0))).ToArray()),
            ["usage"] = Usage(choices),
        };
        if (SteeringEcho(compare) is { } echo) body["steering"] = echo;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(JsonText.Write(body), ct);
    }

    private async Task StreamAsync(HttpContext http, List<Choice> choices, Choice? compare, CancellationToken ct)
    {
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        var gate = new SemaphoreSlim(1, 1);
        async Task Send(JsonObject data)
        {
            await gate.WaitAsync(ct);
            try
            {
                await http.Response.WriteAsync("data: " + JsonText.Write(data) + "\n\n", ct);
                await http.Response.Body.FlushAsync(ct);
            }
            finally
            {
                gate.Release();
            }
        }

        try
        {
            if (shape.SendsRole)
                foreach (var c in choices) await Send(Chunk(shape.Delta(c.Index, "", null, null, role: true)));
            var offsets = new int[choices.Count];
            await Task.WhenAll(choices.Select(c => Collect(c, async (choice, t) =>
            {
                if (t.Piece.Text.Length == 0 && t.Logprob is null) return;
                var logprobs = t.Logprob is null ? null : shape.Logprobs(engine.Model, [t], offsets[choice.Index]);
                offsets[choice.Index] += t.Piece.Text.Length;
                await Send(Chunk(shape.Delta(choice.Index, t.Piece.Text, null, logprobs)));
            }, ct)).Append(compare is null ? Task.CompletedTask : Collect(compare, null, ct)));
            for (var i = 0; i < choices.Count; i++)
            {
                var last = Chunk(shape.Delta(choices[i].Index, null, CompletionShape.FinishReason(choices[i].Result!.Stats.StopReason), null));
                if (i == choices.Count - 1 && SteeringEcho(compare) is { } echo) last["steering"] = echo;
                await Send(last);
            }
            if (request.IncludeUsage)
            {
                var usage = Chunk(null);
                usage["usage"] = Usage(choices);
                await Send(usage);
            }
            await http.Response.WriteAsync("data: [DONE]\n\n", ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Headers are gone: the failure travels as an error event, then the stream closes.
            var api = ErrorEnvelope.Classify(e) ?? new ApiException(500, "Generation failed on the server; see its log.", code: "internal_error");
            await http.Response.WriteAsync("data: " + JsonText.Write(ErrorEnvelope.Body(api)) + "\n\n", CancellationToken.None);
        }
    }

    private JsonObject Chunk(JsonObject? choice)
    {
        var chunk = new JsonObject
        {
            ["id"] = _id,
            ["object"] = shape.ChunkObject,
            ["created"] = _created,
            ["model"] = request.Model,
            ["system_fingerprint"] = null,
            ["choices"] = choice is null ? new JsonArray() : new JsonArray(choice),
        };
        if (request.IncludeUsage) chunk["usage"] = null;
        return chunk;
    }

    private JsonNode? Logprobs(List<ServedToken> steps, int offset) => request.TopLogprobs is null ? null : shape.Logprobs(engine.Model, steps, offset);

    private static JsonObject Usage(List<Choice> choices)
    {
        var prompt = choices[0].Result!.Stats.PromptTokens;
        var completion = choices.Sum(c => c.Result!.Stats.GeneratedTokens);
        return new JsonObject { ["prompt_tokens"] = prompt, ["completion_tokens"] = completion, ["total_tokens"] = prompt + completion };
    }

    private JsonObject? SteeringEcho(Choice? compare)
    {
        if (!steering.IsSteered && compare is null) return null;
        var echo = steering.ToJson();
        if (compare is not null)
            echo["compare"] = new JsonObject
            {
                ["unsteered"] = compare.Text.ToString(),
                ["finish_reason"] = CompletionShape.FinishReason(compare.Result!.Stats.StopReason),
                ["completion_tokens"] = compare.Result.Stats.GeneratedTokens,
            };
        return echo;
    }
}
