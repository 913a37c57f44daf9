using System.Threading.Channels;
using LlamaSteer.Chat;
using LlamaSteer.Generation;
using LlamaSteer.Host.Serving.Api;
using LlamaSteer.Host.Serving.Hosting;
using LlamaSteer.Host.Serving.Observability;
using LlamaSteer.Host.Serving.Security;
using LlamaSteer.Host.Serving.Steering;
using LlamaSteer.Sampling;
using LlamaSteer.Serving;
using LlamaSteer.Steering;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlamaSteer.Host.Serving.Chat;

/// <summary>
/// The chat page's channel (<c>/hub/chat</c>, MessagePack or JSON protocol): <c>Describe</c> (model, vectors, limits,
/// presets), <c>Generate</c> (a stream of <see cref="ChatEvent"/>s), <c>ChangePlan</c> (new sliders for a running
/// generation, taken between two decodes), <c>Cancel</c> and <c>LoadPreset</c>. Bad input is refused with a
/// <see cref="HubException"/> whose one-line message the caller sees; nothing here stops another connection's
/// generations. A hub instance lives for one call; state is in <see cref="ChatGenerations"/>.
/// </summary>
internal sealed class ChatHub(ServingState state, ChatGenerations generations, IOptions<ServeOptions> options, ApiKeys keys, ServingMetrics metrics, ILogger<ChatHub> logger) : Hub
{
    public const string Path = "/hub/chat";

    /// <summary>Largest conversation, in characters.</summary>
    public const int MaxChatChars = 32_000;

    public override Task OnConnectedAsync()
    {
        if (keys.Enabled)
        {
            var http = Context.GetHttpContext();
            var presented = http?.Request.Query["access_token"].ToString() is { Length: > 0 } q ? q : null;
            try
            {
                if (presented is not null) keys.Authorize(presented, ApiScope.Inference);
                else if (http is not null) keys.Authorize(http.Request, ApiScope.Inference);
                else throw new ApiException(401, "No API key.");
            }
            catch (ApiException e)
            {
                throw new HubException(e.Message);
            }
        }
        return base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        generations.Drop(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }

    public ChatSetup Describe()
    {
        var engine = Engine();
        return new ChatSetup
        {
            Model = engine.ModelId,
            Chat = engine.Model.Info.ChatTemplate is not null,
            LayerCount = engine.Model.LayerCount,
            StrengthLimit = options.Value.MaxStrength,
            MaxTokens = Math.Min(options.Value.MaxTokens, engine.Scheduler.SlotContext - 1),
            Vectors = engine.Vectors.List().Select(v => new ChatVectorInfo { Id = v.Id, Name = v.Name, Layers = LayerSet.Of(v.Vector.Layers).ToString(), Clas = v.Clas is not null }).ToList(),
            Presets = engine.Presets.List().Select(p => p.Name).ToList(),
        };
    }

    /// <summary>Starts a generation and streams its events until it ends; the caller cancelling the stream cancels the generation.</summary>
    public ChannelReader<ChatEvent> Generate(ChatGenerateRequest request, CancellationToken cancellationToken)
    {
        var engine = Engine();
        if (request is null) throw new HubException("The request is empty: send messages, vectors and maxTokens.");
        var maxTokens = Math.Min(options.Value.MaxTokens, engine.Scheduler.SlotContext - 1);
        if (request.MaxTokens < 1 || request.MaxTokens > maxTokens) throw new HubException($"maxTokens is {request.MaxTokens} but must be between 1 and {maxTokens}.");
        if (!float.IsFinite(request.Temperature) || request.Temperature is < 0 or > 2) throw new HubException($"temperature is {request.Temperature} but must be between 0 and 2.");
        if (request.PaceMs is < 0 or > 2000) throw new HubException($"paceMs is {request.PaceMs} but must be between 0 and 2000.");
        var prompt = Prompt(engine, request.Messages);
        var steering = Resolve(engine, request.Vectors);
        var seed = request.Seed ?? (request.Temperature > 0 ? (uint)Random.Shared.Next() : null);
        var generation = new GenerationOptions
        {
            MaxTokens = request.MaxTokens,
            Sampling = request.Temperature == 0 ? SamplingOptions.Greedy : new SamplingOptions { Temperature = request.Temperature, Seed = seed },
            ParseSpecialTokens = engine.Model.Info.ChatTemplate is not null,
        };
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ServedSequence steered;
        ServedSequence? plain = null;
        try
        {
            var pace = TimeSpan.FromMilliseconds(request.PaceMs);
            steered = engine.Scheduler.Submit(new ServingRequest(prompt, generation with { Plan = steering.Plan }) { TokenInterval = pace }, cancel.Token);
            if (request.Compare) plain = engine.Scheduler.Submit(new ServingRequest(prompt, generation) { TokenInterval = pace }, cancel.Token);
        }
        catch (Exception e) when (e is ArgumentException or LlamaSteer.Errors.LlamaSteerException)
        {
            cancel.Cancel();
            cancel.Dispose();
            throw new HubException(e.Message);
        }
        var g = new ChatGeneration("gen-" + Guid.NewGuid().ToString("N")[..16], Context.ConnectionId, steered, plain, TermNames(steering), cancel);
        generations.Add(g);
        g.Events.Writer.TryWrite(new ChatEvent { Kind = "started", Id = g.Id, PromptTokens = steered.PromptTokens, Terms = g.TermsByRevision[0] });
        _ = Pump(g, steering.IsSteered);
        return g.Events.Reader;
    }

    /// <summary>Replaces the sliders of a running generation of this connection; returns the plan revision the following tokens carry.</summary>
    public int ChangePlan(string id, List<ChatVector> vectors)
    {
        var engine = Engine();
        var g = generations.Find(id ?? "", Context.ConnectionId) ?? throw new HubException($"No generation '{id}' was started by this connection.");
        if (g.Finished) throw new HubException($"Generation '{id}' has finished; its plan can no longer change.");
        var steering = Resolve(engine, vectors);
        int revision;
        try
        {
            // Under the generation's lock, so the pump never sees a token of the new revision before its term names.
            lock (g) g.TermsByRevision[revision = engine.Scheduler.ReplacePlan(g.Steered, steering.Plan)] = TermNames(steering);
        }
        catch (InvalidOperationException)
        {
            throw new HubException($"Generation '{id}' has finished; its plan can no longer change.");
        }
        catch (ArgumentException e)
        {
            throw new HubException(e.Message);
        }
        g.Events.Writer.TryWrite(new ChatEvent { Kind = "plan", Id = g.Id, Revision = revision, Terms = g.TermsByRevision[revision] });
        logger.LogInformation("Chat generation {Generation} plan revision {Revision}", id, revision);
        return revision;
    }

    public bool Cancel(string id)
    {
        var g = generations.Find(id ?? "", Context.ConnectionId) ?? throw new HubException($"No generation '{id}' was started by this connection.");
        if (g.Finished) return false;
        g.Cancel.Cancel();
        return true;
    }

    /// <summary>A stored preset's sliders, refused when it was saved for another model or names vectors this server cannot use.</summary>
    public List<ChatVector> LoadPreset(string name)
    {
        var engine = Engine();
        var preset = engine.Presets.Find(name ?? "") ?? throw new HubException($"No preset '{name}'.");
        if (preset.Steering.ValueKind == System.Text.Json.JsonValueKind.Object && preset.Steering.TryGetProperty("model", out var m)
            && m.ValueKind == System.Text.Json.JsonValueKind.String && m.GetString() != engine.ModelId)
            throw new HubException($"Preset '{name}' was saved for model '{m.GetString()}'; this server serves '{engine.ModelId}'.");
        try
        {
            var spec = SteeringSpec.Parse(preset.Steering, $"preset {name}");
            engine.Resolver.Resolve(spec, $"preset {name}");
            var limit = options.Value.MaxStrength;
            if (spec.Vectors.FirstOrDefault(v => Math.Abs(v.Strength) > limit) is { } loud)
                throw new HubException($"Preset '{name}' sets vector '{loud.Id}' to {loud.Strength}, outside the slider's range -{limit}..{limit}.");
            return spec.Vectors.Select(v => new ChatVector { Id = v.Id, Strength = v.Strength, Layers = v.Layers, Operator = v.Operator, Clas = v.Clas }).ToList();
        }
        catch (ApiException e)
        {
            throw new HubException($"Preset '{name}' does not fit this model: {e.Message}");
        }
    }

    private ServingEngine Engine()
    {
        try
        {
            return state.Require();
        }
        catch (ApiException e)
        {
            throw new HubException(e.Message);
        }
    }

    private static string Prompt(ServingEngine engine, List<ChatTurn>? messages)
    {
        if (messages is null || messages.Count == 0) throw new HubException("The conversation is empty: send at least one message.");
        if (messages.Count > 256) throw new HubException($"The conversation has {messages.Count} messages; at most 256 are allowed.");
        if (messages.Any(m => m is null || m.Content is null || string.IsNullOrWhiteSpace(m.Role))) throw new HubException("Every message needs a role and a content.");
        var chars = messages.Sum(m => m.Content.Length);
        if (chars > MaxChatChars) throw new HubException($"The conversation has {chars} characters; at most {MaxChatChars} are allowed.");
        if (messages[^1].Content.Length == 0) throw new HubException("The last message is empty.");
        // A base model (no chat template) continues the last message as plain text.
        if (engine.Model.Info.ChatTemplate is null) return messages[^1].Content;
        try
        {
            return ChatFormatter.Format(engine.Model, messages.Select(m => new ChatMessage(m.Role, m.Content)).ToList());
        }
        catch (Exception e) when (e is ArgumentException or LlamaSteer.Errors.LlamaSteerException)
        {
            throw new HubException(e.Message);
        }
    }

    /// <summary>Sliders to a validated plan: strengths within ±<see cref="ServeOptions.MaxStrength"/>, the registry's checks for the rest.</summary>
    private ResolvedSteering Resolve(ServingEngine engine, List<ChatVector>? vectors)
    {
        vectors ??= [];
        if (vectors.Count > 16) throw new HubException($"{vectors.Count} vectors were sent; at most 16 are allowed.");
        var limit = options.Value.MaxStrength;
        var specs = new List<VectorSpec>();
        foreach (var v in vectors)
        {
            if (v is null || string.IsNullOrEmpty(v.Id)) throw new HubException("Every vector needs an id.");
            var name = engine.Vectors.Find(v.Id)?.Name ?? v.Id;
            if (!float.IsFinite(v.Strength) || Math.Abs(v.Strength) > limit)
                throw new HubException($"Strength {v.Strength} for vector '{name}' is outside the slider's range -{limit}..{limit}.");
            var op = (v.Operator ?? "add").ToLowerInvariant();
            if (op is not ("add" or "ablate" or "clamp")) throw new HubException($"Operator '{v.Operator}' for vector '{name}' is not add, ablate or clamp.");
            specs.Add(new VectorSpec(v.Id, v.Strength, string.IsNullOrWhiteSpace(v.Layers) ? null : v.Layers, op, "all", v.Clas));
        }
        try
        {
            return engine.Resolver.Resolve(new SteeringSpec(specs, false, false));
        }
        catch (ApiException e)
        {
            throw new HubException(e.Message);
        }
    }

    private static string[] TermsOf(ChatGeneration g, int revision)
    {
        lock (g) return g.TermsByRevision.GetValueOrDefault(revision, []);
    }

    private static string[] TermNames(ResolvedSteering steering) =>
        steering.Resolved.Select(r => $"{r!["name"]} {r["operator"]} {r["strength"]} @{r["layers"]}").ToArray();

    /// <summary>Copies both sides' tokens into the event stream, then a done event per side; completes the stream with the first error.</summary>
    private async Task Pump(ChatGeneration g, bool steered)
    {
        Exception? error = null;
        try
        {
            var sides = new List<Task> { Side(g, g.Steered, "steered", steered) };
            if (g.Plain is { } plain) sides.Add(Side(g, plain, "plain", false));
            await Task.WhenAll(sides).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            error = g.Cancel.IsCancellationRequested ? null : new HubException("The generation was cancelled.");
        }
        catch (Exception e)
        {
            logger.LogWarning("Chat generation {Generation} failed: {Problem}", g.Id, e.Message);
            error = new HubException(e is LlamaSteer.Errors.LlamaSteerException or ArgumentException ? e.Message : "The generation failed on the server.");
        }
        finally
        {
            g.Cancel.Cancel();
            g.Events.Writer.TryComplete(error);
        }
    }

    private async Task Side(ChatGeneration g, ServedSequence sequence, string side, bool steered)
    {
        var index = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan? first = null;
        await foreach (var t in sequence.ReadAllAsync(g.Cancel.Token).ConfigureAwait(false))
        {
            first ??= clock.Elapsed;
            g.Events.Writer.TryWrite(new ChatEvent
            {
                Kind = "token",
                Id = g.Id,
                Side = side,
                Index = index++,
                Text = t.Piece.Text,
                Token = t.Piece.Token,
                Revision = t.PlanRevision,
                Terms = t.Steering is null ? [] : TermsOf(g, t.PlanRevision),
                Applied = t.Steering?.Applied ?? [],
                Projection = t.Steering?.Projection ?? [],
            });
        }
        var result = await sequence.Completion.ConfigureAwait(false);
        metrics.Generation(steered, result.Stats.PromptTokens, result.Stats.GeneratedTokens, first, result.Stats.DecodeTokensPerSecond);
        g.Events.Writer.TryWrite(new ChatEvent { Kind = "done", Id = g.Id, Side = side, Index = index, StopReason = result.Stats.StopReason.ToString() });
    }
}
