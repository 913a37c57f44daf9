namespace LlamaSteer.Training.Optimizer;

/// <summary>
/// Linear warm-up from 0 to the peak over <see cref="WarmupSteps"/>, then cosine decay to 0 at <see cref="TotalSteps"/>
/// (the schedule of transformers' get_cosine_schedule_with_warmup, which BiPO's code uses). Immutable.
/// </summary>
public sealed record LearningRateSchedule(int WarmupSteps, int TotalSteps, bool Cosine = true)
{
    /// <summary>The factor (0..1) applied to the peak learning rate at optimizer step <paramref name="step"/> (0-based).</summary>
    public double Factor(int step)
    {
        if (step < WarmupSteps) return (step + 1) / (double)(WarmupSteps + 1);
        if (!Cosine) return 1;
        var progress = (step - WarmupSteps) / (double)Math.Max(1, TotalSteps - WarmupSteps);
        return Math.Max(0, 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1, progress))));
    }
}
