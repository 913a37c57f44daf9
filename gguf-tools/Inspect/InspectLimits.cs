namespace LlamaSteer.GgufTools.Inspect;

/// <summary>How much of long metadata values inspect prints; --all lifts both limits.</summary>
internal sealed record InspectLimits(int MaxStringLength, int MaxArrayItems)
{
    /// <summary>Enough for names and short descriptions; a chat template or a vocabulary is cut.</summary>
    public static InspectLimits Default { get; } = new(120, 8);

    public static InspectLimits Unlimited { get; } = new(int.MaxValue, int.MaxValue);
}
