using LlamaSteer.Evaluation;
using LlamaSteer.Steering;

namespace LlamaSteer.Host.Cli;

/// <summary><c>eval --adjust-to-target</c>: the operator dimension of a sweep, fixed strengths beside the paper's rule.</summary>
internal static class AdjustToTargetCandidates
{
    /// <summary>
    /// Every fixed-strength candidate (CLAS ones excepted) followed by the same vector steered by
    /// adjust-to-target at strength 1 only.
    /// </summary>
    /// <exception cref="ArgumentException">A vector without calibration on a swept layer (checked here, before anything is printed or decoded).</exception>
    public static IReadOnlyList<SweepCandidate> Add(IReadOnlyList<SweepCandidate> candidates, IReadOnlyList<LayerSet> rows)
    {
        var result = new List<SweepCandidate>();
        foreach (var c in candidates)
        {
            result.Add(c.Contextual is null && !c.Name.EndsWith(" (fixed)", StringComparison.Ordinal) ? c with { Name = c.Name + " (fixed)" } : c);
            if (c.Contextual is not null) continue;
            var adjust = new SweepCandidate(c.Name.Replace(" (fixed)", "", StringComparison.Ordinal) + " (adjust-to-target)", c.Vector) { AdjustToTarget = true, Strengths = [1f] };
            foreach (var row in rows) SweepSettings.Plan(adjust, row, 1f);
            result.Add(adjust);
        }
        return result;
    }
}
