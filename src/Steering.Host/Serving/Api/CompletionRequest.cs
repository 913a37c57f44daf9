using System.Text.Json;
using LlamaSteer.Chat;
using LlamaSteer.Generation;
using LlamaSteer.Host.Serving.Hosting;
using LlamaSteer.Host.Serving.Steering;
using LlamaSteer.Sampling;

namespace LlamaSteer.Host.Serving.Api;

/// <summary>
/// A parsed <c>/v1/chat/completions</c> or <c>/v1/completions</c> body: the prompt (a chat formatted with the model's
/// template, or chatml when it has none, as llama.cpp's server does), generation options, and the steering named
/// in it. Unknown fields are ignored; a field of the wrong type or out of range is a 400 naming it.
/// </summary>
internal sealed record CompletionRequest(
    string Model,
    string Prompt,
    GenerationOptions Options,
    int Choices,
    bool Stream,
    bool IncludeUsage,
    int? TopLogprobs,
    SteeringSpec? Steering)
{
    public static CompletionRequest Parse(JsonElement body, bool chat, ServingEngine engine, int maxTokensLimit)
    {
        var f = JsonFields.Of(body, "");
        var model = f.String("model") ?? engine.ModelId;
        var prompt = chat ? ChatPrompt(f, engine) : TextPrompt(f);
        var maxTokens = f.Integer("max_completion_tokens", 1, maxTokensLimit) ?? f.Integer("max_tokens", 1, maxTokensLimit) ?? Math.Min(maxTokensLimit, chat ? 512 : 16);
        var defaults = new SamplingOptions();
        var sampling = new SamplingOptions
        {
            Temperature = (float)(f.Number("temperature", 0, 2) ?? defaults.Temperature),
            TopP = (float)(f.Number("top_p", 0, 1) ?? defaults.TopP),
            TopK = (int)(f.Integer("top_k", 0, 1_000_000) ?? defaults.TopK),
            MinP = (float)(f.Number("min_p", 0, 1) ?? defaults.MinP),
            RepeatPenalty = (float)(f.Number("repeat_penalty", 0.01, 10) ?? defaults.RepeatPenalty),
            FrequencyPenalty = (float)(f.Number("frequency_penalty", -2, 2) ?? 0),
            PresencePenalty = (float)(f.Number("presence_penalty", -2, 2) ?? 0),
            Seed = f.Integer("seed", long.MinValue, long.MaxValue) is { } s ? unchecked((uint)s) : null,
        };
        if (sampling.TopP == 0) throw ApiException.BadRequest("'top_p' must be greater than 0.", "top_p");
        var options = new GenerationOptions
        {
            MaxTokens = (int)maxTokens,
            Sampling = sampling,
            StopStrings = Stops(f),
            ParseSpecialTokens = chat,
        };
        var n = (int)(f.Integer("n", 1, 16) ?? 1);
        var stream = f.Bool("stream") ?? false;
        var includeUsage = false;
        if (f.Get("stream_options") is { } so) includeUsage = JsonFields.Of(so, "stream_options").Bool("include_usage") ?? false;
        int? top = null;
        if (chat)
        {
            if (f.Bool("logprobs") == true) top = (int)(f.Integer("top_logprobs", 0, 20) ?? 0);
            else if (f.Get("top_logprobs") is not null) throw ApiException.BadRequest("'top_logprobs' needs 'logprobs': true.", "top_logprobs");
        }
        else if (f.Integer("logprobs", 0, 5) is { } k) top = (int)k;
        var steering = f.Get("steering") is { } st ? SteeringSpec.Parse(st) : null;
        return new CompletionRequest(model, prompt, options, n, stream, includeUsage, top, steering);
    }

    private static string ChatPrompt(JsonFields f, ServingEngine engine)
    {
        if (f.Get("messages") is not { } list) throw ApiException.BadRequest("'messages' is missing.", "messages");
        if (list.ValueKind != JsonValueKind.Array) throw f.Wrong("messages", "an array");
        var messages = new List<ChatMessage>();
        var i = 0;
        foreach (var item in list.EnumerateArray())
        {
            var m = JsonFields.Of(item, $"messages[{i}]");
            var role = m.String("role") ?? throw ApiException.BadRequest($"'messages[{i}].role' is missing.", $"messages[{i}].role");
            if (role == "developer") role = "system";
            if (role is not ("system" or "user" or "assistant" or "tool"))
                throw ApiException.BadRequest($"'messages[{i}].role' is '{role}'; use system, developer, user, assistant or tool.", $"messages[{i}].role");
            messages.Add(new ChatMessage(role, Content(m, i)));
            i++;
        }
        if (messages.Count == 0) throw ApiException.BadRequest("'messages' is empty; send at least one message.", "messages");
        return ChatFormatter.FormatOrChatml(engine.Model, messages);
    }

    /// <summary>A message's content: a string, or an array of text parts.</summary>
    private static string Content(JsonFields m, int i)
    {
        switch (m.Get("content"))
        {
            case null: return "";
            case { ValueKind: JsonValueKind.String } s: return s.GetString()!;
            case { ValueKind: JsonValueKind.Array } parts:
                var text = new System.Text.StringBuilder();
                var k = 0;
                foreach (var part in parts.EnumerateArray())
                {
                    var p = JsonFields.Of(part, $"messages[{i}].content[{k}]");
                    if (p.String("type") != "text") throw ApiException.BadRequest($"'messages[{i}].content[{k}].type' must be 'text'; this model reads text only.", $"messages[{i}].content[{k}].type");
                    text.Append(p.String("text") ?? "");
                    k++;
                }
                return text.ToString();
            default: throw m.Wrong("content", "a string or an array of text parts");
        }
    }

    private static string TextPrompt(JsonFields f)
    {
        var prompt = f.Get("prompt") switch
        {
            null => throw ApiException.BadRequest("'prompt' is missing.", "prompt"),
            { ValueKind: JsonValueKind.String } s => s.GetString()!,
            { ValueKind: JsonValueKind.Array } a when a.GetArrayLength() == 1 && a[0].ValueKind == JsonValueKind.String => a[0].GetString()!,
            _ => throw f.Wrong("prompt", "a string (or an array of one string)"),
        };
        if (prompt.Length == 0) throw ApiException.BadRequest("'prompt' is empty.", "prompt");
        return prompt;
    }

    private static IReadOnlyList<string> Stops(JsonFields f)
    {
        var stops = f.Get("stop") switch
        {
            null => [],
            { ValueKind: JsonValueKind.String } s => [s.GetString()!],
            { ValueKind: JsonValueKind.Array } a when a.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String) => a.EnumerateArray().Select(x => x.GetString()!).ToList(),
            _ => throw f.Wrong("stop", "a string or an array of strings"),
        };
        if (stops.Count > 4) throw ApiException.BadRequest("'stop' has more than 4 strings.", "stop");
        if (stops.Any(s => s.Length == 0)) throw ApiException.BadRequest("'stop' holds an empty string.", "stop");
        return stops;
    }
}
