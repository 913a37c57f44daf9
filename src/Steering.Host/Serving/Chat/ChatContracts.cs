using MessagePack;

namespace LlamaSteer.Host.Serving.Chat;

// The chat hub's wire types. Keys are short lower-case strings so the browser reads them as plain objects
// (msg.text, msg.applied) and a .NET client can use these classes or its own with the same keys.

/// <summary>One vector's slider: its registry id or name, strength, layers ("1-4"; null: all of the vector's), operator and CLAS switch.</summary>
[MessagePackObject]
public sealed class ChatVector
{
    [Key("id")] public string Id { get; set; } = "";
    [Key("strength")] public float Strength { get; set; }
    [Key("layers")] public string? Layers { get; set; }

    /// <summary>add, ablate or clamp.</summary>
    [Key("operator")] public string Operator { get; set; } = "add";
    [Key("clas")] public bool Clas { get; set; }
}

/// <summary>A message of the conversation.</summary>
[MessagePackObject]
public sealed class ChatTurn
{
    [Key("role")] public string Role { get; set; } = "user";
    [Key("content")] public string Content { get; set; } = "";
}

/// <summary>
/// What <c>Generate</c> starts: the conversation (formatted with the model's chat template; a model without one continues
/// the last message as plain text), the sliders, and whether the unsteered answer runs beside it with the same seed.
/// </summary>
[MessagePackObject]
public sealed class ChatGenerateRequest
{
    [Key("messages")] public List<ChatTurn> Messages { get; set; } = [];
    [Key("vectors")] public List<ChatVector> Vectors { get; set; } = [];
    [Key("compare")] public bool Compare { get; set; }
    [Key("maxTokens")] public int MaxTokens { get; set; } = 64;

    /// <summary>0: greedy.</summary>
    [Key("temperature")] public float Temperature { get; set; }
    [Key("seed")] public uint? Seed { get; set; }

    /// <summary>Least milliseconds between two tokens (0: as fast as the model runs), so a reader can steer a fast model while it writes.</summary>
    [Key("paceMs")] public int PaceMs { get; set; }
}

/// <summary>
/// One event of a generation's stream. <c>kind</c> is <c>started</c> (the generation's id and the prompt length),
/// <c>token</c> (one generated token of one side: <c>side</c> is <c>steered</c> or <c>plain</c>, its index on that
/// side, text, token id, the plan revision it was produced under, and per term of the plan the strength applied and
/// the projection on the term's direction, with the term names in <c>terms</c>), <c>plan</c> (a plan change was
/// accepted: its revision and terms) or <c>done</c> (one side finished: stop reason, token count).
/// </summary>
[MessagePackObject]
public sealed class ChatEvent
{
    [Key("kind")] public string Kind { get; set; } = "";
    [Key("id")] public string Id { get; set; } = "";
    [Key("side")] public string Side { get; set; } = "steered";
    [Key("index")] public int Index { get; set; }
    [Key("text")] public string Text { get; set; } = "";
    [Key("token")] public int Token { get; set; }
    [Key("revision")] public int Revision { get; set; }
    [Key("terms")] public string[] Terms { get; set; } = [];
    [Key("applied")] public float[] Applied { get; set; } = [];
    [Key("projection")] public float[] Projection { get; set; } = [];
    [Key("promptTokens")] public int PromptTokens { get; set; }
    [Key("stopReason")] public string? StopReason { get; set; }
}

/// <summary>A registered vector as the page shows it: one slider from −limit to +limit.</summary>
[MessagePackObject]
public sealed class ChatVectorInfo
{
    [Key("id")] public string Id { get; set; } = "";
    [Key("name")] public string Name { get; set; } = "";
    [Key("layers")] public string Layers { get; set; } = "";
    [Key("clas")] public bool Clas { get; set; }
}

/// <summary>What the page needs to draw itself.</summary>
[MessagePackObject]
public sealed class ChatSetup
{
    [Key("model")] public string Model { get; set; } = "";
    [Key("chat")] public bool Chat { get; set; }
    [Key("layerCount")] public int LayerCount { get; set; }
    [Key("strengthLimit")] public float StrengthLimit { get; set; }
    [Key("maxTokens")] public int MaxTokens { get; set; }
    [Key("vectors")] public List<ChatVectorInfo> Vectors { get; set; } = [];
    [Key("presets")] public List<string> Presets { get; set; } = [];
}
