using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using LlamaSteer.Host.Serving.Api;
using LlamaSteer.Host.Serving.Registry;
using LlamaSteer.Models;
using LlamaSteer.Steering;

namespace LlamaSteer.Host.Serving.Steering;

/// <summary>A request's steering resolved against the registry: the plan the engine runs, what the response echoes, and its fingerprint.</summary>
internal sealed record ResolvedSteering(SteeringPlan Plan, JsonArray Resolved, string? Fingerprint, bool Compare, bool Orthogonalize)
{
    public static ResolvedSteering None { get; } = new(SteeringPlan.None, [], null, false, false);

    public bool IsSteered => !Plan.IsEmpty;

    /// <summary>The <c>steering</c> object of a response.</summary>
    public JsonObject ToJson() => new()
    {
        ["fingerprint"] = Fingerprint,
        ["orthogonalize"] = Orthogonalize,
        ["resolved"] = Resolved.DeepClone(),
    };
}

/// <summary>Turns a <see cref="SteeringSpec"/> into a validated <see cref="SteeringPlan"/> with the registry's vectors.</summary>
internal sealed class SteeringResolver(VectorRegistry registry, LlamaModel model, int slotContext)
{
    /// <exception cref="ApiException">404 unknown vector, 400 bad layers/window/strength/CLAS, naming the field under <paramref name="path"/>.</exception>
    public ResolvedSteering Resolve(SteeringSpec spec, string path = "steering")
    {
        if (spec.Vectors.Count == 0) return ResolvedSteering.None with { Compare = spec.Compare };
        var terms = new List<SteeringTerm>();
        var resolved = new JsonArray();
        for (var i = 0; i < spec.Vectors.Count; i++)
        {
            var v = spec.Vectors[i];
            var at = $"{path}.vectors[{i}]";
            var entry = registry.Find(v.Id) ?? throw ApiException.NotFound($"No vector '{v.Id}' is registered (GET /v1/steering/vectors lists them).", $"{at}.id", "vector_not_found");
            LayerSet? layers = null;
            if (v.Layers is { } text)
            {
                try
                {
                    layers = LayerSet.Parse(text, model.LayerCount);
                }
                catch (ArgumentException e)
                {
                    throw ApiException.BadRequest(e.Message, $"{at}.layers", "invalid_layers");
                }
                if (!entry.Vector.Layers.Any(layers.Contains))
                    throw ApiException.BadRequest($"Vector '{entry.Name}' has no direction on layers {layers} (it has {LayerSet.Of(entry.Vector.Layers)}).", $"{at}.layers", "invalid_layers");
            }
            TokenWindow window;
            try
            {
                window = TokenWindow.Parse(v.Window);
                window.Validate(slotContext);
            }
            catch (ArgumentException e)
            {
                throw ApiException.BadRequest(e.Message, $"{at}.window", "invalid_window");
            }
            if (!float.IsFinite(v.Strength)) throw ApiException.BadRequest($"'{at}.strength' must be a finite number.", $"{at}.strength");
            var op = v.Operator switch { "ablate" => SteeringOperator.Ablate, "clamp" => SteeringOperator.Clamp, _ => SteeringOperator.Add };
            if (v.Clas && op != SteeringOperator.Add) throw ApiException.BadRequest("CLAS scales added vectors only; use operator add with clas.", $"{at}.clas");
            if (v.Clas && entry.Clas is null) throw ApiException.BadRequest($"Vector '{entry.Name}' has no CLAS parameters; upload them with the vector (field clas).", $"{at}.clas", "no_clas");
            var strength = op == SteeringOperator.Ablate ? 0f : v.Strength;
            var term = new SteeringTerm(entry.Vector, strength, layers, op, window) { Name = entry.Name, Contextual = v.Clas ? entry.Clas!.Strength : null };
            terms.Add(term);
            resolved.Add(new JsonObject
            {
                ["id"] = entry.Id,
                ["name"] = entry.Name,
                ["strength"] = strength,
                ["layers"] = LayerSet.Of(term.EffectiveLayers).ToString(),
                ["operator"] = v.Operator,
                ["window"] = window.ToString(),
                ["clas"] = v.Clas,
            });
        }
        if (spec.Orthogonalize) terms = Orthogonalize(terms, path);
        var plan = new SteeringPlan(terms);
        try
        {
            plan.Validate(model.EmbeddingSize, model.LayerCount, slotContext);
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message, path, "invalid_steering");
        }
        return new ResolvedSteering(plan, resolved, Fingerprint(resolved, spec.Orthogonalize), spec.Compare, spec.Orthogonalize);
    }

    /// <summary>Gram-Schmidt over the added vectors in the given order (<see cref="Composition.Orthogonalise"/>); other operators are left as they are.</summary>
    private static List<SteeringTerm> Orthogonalize(List<SteeringTerm> terms, string path)
    {
        var adds = terms.Where(t => t.Operator == SteeringOperator.Add).ToList();
        if (adds.Any(t => t.Contextual is not null))
            throw ApiException.BadRequest("orthogonalize cannot be combined with clas: CLAS parameters belong to the original directions.", $"{path}.orthogonalize");
        var composed = Composition.Orthogonalise(adds.Select(t => new ComposedVector(t.Name ?? "", t.Vector, t.Strength, t.Layers)).ToList());
        var replaced = new Queue<SteeringTerm>(composed.Zip(adds, (c, t) => t with { Vector = c.Vector }));
        return terms.Select(t => t.Operator == SteeringOperator.Add ? replaced.Dequeue() : t).ToList();
    }

    /// <summary>SHA-256 of the resolved plan's canonical JSON (vector content ids, strengths, layers, operators, windows): equal plans, equal fingerprints.</summary>
    private static string Fingerprint(JsonArray resolved, bool orthogonalize)
    {
        var canonical = new JsonArray(resolved.Select(r => (JsonNode?)new JsonObject
        {
            ["id"] = r!["id"]!.DeepClone(),
            ["strength"] = r["strength"]!.DeepClone(),
            ["layers"] = r["layers"]!.DeepClone(),
            ["operator"] = r["operator"]!.DeepClone(),
            ["window"] = r["window"]!.DeepClone(),
            ["clas"] = r["clas"]!.DeepClone(),
        }).ToArray());
        var text = new JsonObject { ["orthogonalize"] = orthogonalize, ["vectors"] = canonical }.ToJsonString();
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
    }
}
