using System.Text.Json.Nodes;
using LlamaSteer.Steering;
using LlamaSteer.Steering.Contextual;
using LlamaSteer.Vectors;

namespace LlamaSteer.Host.Serving.Registry;

/// <summary>A vector in the registry: its content-addressed id, its human name, the directions and optional CLAS parameters. Immutable.</summary>
internal sealed record RegisteredVector(string Id, string Name, string Sha256, SteeringVector Vector, ClasParameters? Clas, DateTimeOffset Created)
{
    /// <summary>What the API shows of it: never a file-system path.</summary>
    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["object"] = "steering.vector",
        ["name"] = Name,
        ["sha256"] = Sha256,
        ["n_embd"] = Vector.EmbeddingSize,
        ["layers"] = LayerSet.Of(Vector.Layers).ToString(),
        ["model_hint"] = Vector.ModelHint,
        ["clas"] = Clas is not null,
        ["created"] = Created.ToUnixTimeSeconds(),
    };
}
