using LlamaSteer.Steering;
using Microsoft.Extensions.AI;

namespace LlamaSteer.Serving;

/// <summary>Steering as a typed option of Microsoft.Extensions.AI's <see cref="ChatOptions"/>, read by <see cref="SteeringChatClient"/>.</summary>
public static class SteeringChatOptions
{
    /// <summary>The key under <see cref="ChatOptions.AdditionalProperties"/> that holds the <see cref="SteeringPlan"/>.</summary>
    public const string Key = "llamasteer.steering";

    /// <summary>Sets the plan the response is steered with; returns the same options.</summary>
    public static ChatOptions WithSteering(this ChatOptions options, SteeringPlan plan)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(plan);
        (options.AdditionalProperties ??= [])[Key] = plan;
        return options;
    }

    /// <summary>The plan set with <see cref="WithSteering"/>, or null.</summary>
    public static SteeringPlan? GetSteering(this ChatOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(Key, out var value) == true ? value as SteeringPlan : null;
}
