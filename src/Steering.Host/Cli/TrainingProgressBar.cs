using LlamaSteer.Training.Engine;
using Spectre.Console;

namespace LlamaSteer.Host.Cli;

/// <summary>Runs a gradient-training job under a Spectre.Console progress bar showing the step, loss and tokens/s (plain lines when stderr is redirected).</summary>
internal static class TrainingProgressBar
{
    public static T Run<T>(string title, Func<IProgress<TrainingProgress>, T> job)
    {
        if (Console.IsErrorRedirected)
        {
            var (lastEpoch, lastStep) = (0, -1);
            return job(new InlineProgress(p =>
            {
                // One line when an epoch starts, one for each validation (reported at the step just done), one at the end.
                var report = p.Epoch != lastEpoch || p.Step == lastStep || p.Step == p.TotalSteps && p.ValidationLoss is null;
                (lastEpoch, lastStep) = (p.Epoch, p.Step);
                if (!report) return;
                Console.Error.WriteLine($"{title}: epoch {p.Epoch}, step {p.Step}/{p.TotalSteps}, loss {p.Loss:F4}{Terms(p)}{(p.ValidationLoss is { } v ? $", validation {v:F4}" : "")}, {p.TokensPerSecond:F0} tok/s");
            }));
        }
        T result = default!;
        AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }).Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(title);
                result = job(new InlineProgress(p =>
                {
                    task.MaxValue = p.TotalSteps;
                    task.Value = p.Step;
                    task.Description = Markup.Escape($"{title} epoch {p.Epoch} loss {p.Loss:F4}{Terms(p)}{(p.ValidationLoss is { } v ? $" val {v:F4}" : "")} {p.TokensPerSecond:F0} tok/s");
                }));
                task.Value = task.MaxValue;
            });
        return result;
    }

    // The loss terms the objective named (representation tuning: token and repr), e.g. " (token 2.1043, repr 0.3120)".
    private static string Terms(TrainingProgress p) =>
        p.Terms.Count == 0 ? "" : $" ({string.Join(", ", p.Terms.Select(t => $"{t.Name} {t.Value:F4}"))})";

    private sealed class InlineProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
