namespace LlamaSteer.Chat;

/// <summary>One chat turn: role ("system", "user", "assistant") and text.</summary>
public sealed record ChatMessage(string Role, string Content);
