using LlamaSteer.Evaluation;

namespace LlamaSteer.Host.Cli;

/// <summary><c>eval --adjust-to-target</c>: the operator dimension of a sweep, fixed strengths beside the paper's rule.</summary>
internal static class AdjustToTargetCandidates
{
    /// <summary>
    /// Every fixed-strength candidate (CLAS ones excepted) followed by the same vector steered by
    /// adjust-to-target at strength 1 only; the sweep's validation refuses a vector without calibration
    /// before anything is decoded.
    /// </summary>
    public static IReadOnlyList<SweepCandidate> Add(IReadOnlyList<SweepCandidate> candidates)
    {
        var result = new List<SweepCandidate>();
        foreach (var c in candidates)
        {
            result.Add(c.Contextual is null && !c.Name.EndsWith(" (fixed)", StringComparison.Ordinal) ? c with { Name = c.Name + " (fixed)" } : c);
            if (c.Contextual is null)
                result.Add(new SweepCandidate(c.Name.Replace(" (fixed)", "", StringComparison.Ordinal) + " (adjust-to-target)", c.Vector) { AdjustToTarget = true, Strengths = [1f] });
        }
        return result;
    }
}
