using LlamaSteer.Errors;
using LlamaSteer.Models;
using LlamaSteer.Native.Runtime;
using LlamaSteer.Native.SafeHandles;

namespace LlamaSteer.Chat;

/// <summary>Turns chat messages into a prompt with the model's chat template (or a named built-in one).</summary>
public static class ChatFormatter
{
    /// <summary>Formats <paramref name="messages"/>, ending with the assistant's turn prefix when <paramref name="addAssistantPrefix"/>.</summary>
    /// <param name="template">Null: the model's own template. Otherwise Jinja text or a built-in name ("chatml", "llama3", ...).</param>
    /// <exception cref="LlamaSteerException">No template, or one llama.cpp does not support.</exception>
    public static string Format(LlamaModel model, IReadOnlyList<ChatMessage> messages, string? template = null, bool addAssistantPrefix = true)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0) throw new ArgumentException("A chat needs at least one message.", nameof(messages));
        foreach (var m in messages)
        {
            if (string.IsNullOrWhiteSpace(m.Role)) throw new ArgumentException("A chat message has an empty role.", nameof(messages));
            ArgumentNullException.ThrowIfNull(m.Content);
        }
        var tmpl = template ?? model.Info.ChatTemplate
            ?? throw new LlamaSteerException($"The model {Path.GetFileName(model.Info.Path)} has no chat template; name a built-in one (e.g. --chat-template chatml) or drop --chat.");
        try
        {
            return ChatTemplates.Apply(tmpl, messages.Select(m => (m.Role, m.Content)).ToList(), addAssistantPrefix);
        }
        catch (NativeCallException e)
        {
            throw new LlamaSteerException(e.Message, e);
        }
    }

    /// <summary>
    /// Formats with the model's own template, or with chatml when the model has none (as llama.cpp's server does),
    /// so a chat endpoint works with every model.
    /// </summary>
    public static string FormatOrChatml(LlamaModel model, IReadOnlyList<ChatMessage> messages) =>
        Format(model, messages, model.Info.ChatTemplate is null ? "chatml" : null);
}
