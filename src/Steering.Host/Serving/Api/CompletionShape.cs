using System.Text.Json.Nodes;
using LlamaSteer.Generation;
using LlamaSteer.Models;
using LlamaSteer.Serving;

namespace LlamaSteer.Host.Serving.Api;

/// <summary>The parts of OpenAI's response format that differ between chat completions and text completions.</summary>
internal abstract class CompletionShape
{
    public static CompletionShape Chat { get; } = new ChatShape();
    public static CompletionShape Text { get; } = new TextShape();

    public abstract string IdPrefix { get; }
    public abstract string Object { get; }
    public abstract string ChunkObject { get; }

    /// <summary>Whether the first streamed chunk of each choice carries only the role.</summary>
    public abstract bool SendsRole { get; }

    /// <summary>A whole choice of a non-streamed response.</summary>
    public abstract JsonObject Choice(int index, string text, string finishReason, JsonNode? logprobs);

    /// <summary>A streamed choice delta; <paramref name="text"/> null with <paramref name="finishReason"/> for the last one.</summary>
    public abstract JsonObject Delta(int index, string? text, string? finishReason, JsonNode? logprobs, bool role = false);

    /// <summary>Log-probabilities of some steps in this shape's format; <paramref name="offset"/> is the text offset of the first.</summary>
    public abstract JsonNode Logprobs(LlamaModel model, IReadOnlyList<ServedToken> steps, int offset);

    public static string FinishReason(StopReason reason) => reason is StopReason.MaxTokens or StopReason.ContextFull ? "length" : "stop";

    protected static JsonArray Bytes(LlamaModel model, int token) => new(model.TokenBytes(token).Select(b => (JsonNode?)(int)b).ToArray());

    private sealed class ChatShape : CompletionShape
    {
        public override string IdPrefix => "chatcmpl-";
        public override string Object => "chat.completion";
        public override string ChunkObject => "chat.completion.chunk";
        public override bool SendsRole => true;

        public override JsonObject Choice(int index, string text, string finishReason, JsonNode? logprobs) => new()
        {
            ["index"] = index,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text, ["refusal"] = null },
            ["logprobs"] = logprobs,
            ["finish_reason"] = finishReason,
        };

        public override JsonObject Delta(int index, string? text, string? finishReason, JsonNode? logprobs, bool role = false)
        {
            var delta = new JsonObject();
            if (role) delta["role"] = "assistant";
            if (text is not null) delta["content"] = text;
            return new JsonObject { ["index"] = index, ["delta"] = delta, ["logprobs"] = logprobs, ["finish_reason"] = finishReason };
        }

        public override JsonNode Logprobs(LlamaModel model, IReadOnlyList<ServedToken> steps, int offset) => new JsonObject
        {
            ["content"] = new JsonArray(steps.Where(s => s.Logprob is not null).Select(s => (JsonNode?)new JsonObject
            {
                ["token"] = model.TokenText(s.Logprob!.Token),
                ["logprob"] = s.Logprob.Logprob,
                ["bytes"] = Bytes(model, s.Logprob.Token),
                ["top_logprobs"] = new JsonArray(s.Logprob.Top.Select(t => (JsonNode?)new JsonObject
                {
                    ["token"] = model.TokenText(t.Token),
                    ["logprob"] = t.Logprob,
                    ["bytes"] = Bytes(model, t.Token),
                }).ToArray()),
            }).ToArray()),
            ["refusal"] = null,
        };
    }

    private sealed class TextShape : CompletionShape
    {
        public override string IdPrefix => "cmpl-";
        public override string Object => "text_completion";
        public override string ChunkObject => "text_completion";
        public override bool SendsRole => false;

        public override JsonObject Choice(int index, string text, string finishReason, JsonNode? logprobs) => new()
        {
            ["index"] = index,
            ["text"] = text,
            ["logprobs"] = logprobs,
            ["finish_reason"] = finishReason,
        };

        public override JsonObject Delta(int index, string? text, string? finishReason, JsonNode? logprobs, bool role = false) => new()
        {
            ["index"] = index,
            ["text"] = text ?? "",
            ["logprobs"] = logprobs,
            ["finish_reason"] = finishReason,
        };

        public override JsonNode Logprobs(LlamaModel model, IReadOnlyList<ServedToken> steps, int offset)
        {
            var tokens = new JsonArray();
            var logprobs = new JsonArray();
            var top = new JsonArray();
            var offsets = new JsonArray();
            foreach (var s in steps)
            {
                if (s.Logprob is not { } lp) continue;
                tokens.Add(model.TokenText(lp.Token));
                logprobs.Add(lp.Logprob);
                var alternatives = new JsonObject();
                foreach (var (token, value) in lp.Top) alternatives[model.TokenText(token)] = value;
                top.Add(alternatives);
                offsets.Add(offset);
                offset += s.Piece.Text.Length;
            }
            return new JsonObject { ["tokens"] = tokens, ["token_logprobs"] = logprobs, ["top_logprobs"] = top, ["text_offset"] = offsets };
        }
    }
}
