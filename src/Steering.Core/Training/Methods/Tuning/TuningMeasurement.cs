using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Methods.Clas;

namespace LlamaSteer.Training.Methods.Tuning;

/// <summary>The mean of each loss term over a set of completions, and the mean cosine of the hidden states with the direction.</summary>
public readonly record struct TuningLosses(double Token, double Representation, double Cosine)
{
    /// <summary>Token loss + λ · representation loss.</summary>
    public double Total(float lambda) => Token + lambda * Representation;

    /// <summary>
    /// Forward passes of <paramref name="examples"/> through <paramref name="weights"/> (with <paramref name="objective"/>'s
    /// tuned weights, if it has any): the mean of each term. Not thread-safe.
    /// </summary>
    public static TuningLosses Measure(ModelWeights weights, TuningObjective objective, IReadOnlyList<CompletionExample> examples, int threads,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("there is no example to measure.");
        using var runner = new GraphRunner(threads);
        double token = 0, representation = 0, cosine = 0;
        foreach (var example in examples)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var step = new GraphStep(LlamaGraphBuilder.NodeBudget(weights.Hyperparameters.LayerCount, 2));
            var (t, r, c) = objective.BuildTerms(step, new LlamaGraphBuilder(weights, step), example);
            step.Output(t);
            step.Output(r);
            step.Output(c);
            runner.Forward(step);
            token += t.ReadScalar();
            representation += r.ReadScalar();
            cosine += c.ReadScalar();
        }
        return new TuningLosses(token / examples.Count, representation / examples.Count, cosine / examples.Count);
    }
}
