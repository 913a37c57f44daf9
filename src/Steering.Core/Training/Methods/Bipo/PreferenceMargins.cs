using LlamaSteer.Inference;
using LlamaSteer.Models;
using LlamaSteer.Steering;
using LlamaSteer.Vectors;

namespace LlamaSteer.Training.Methods.Bipo;

/// <summary>
/// The mean preference margin log π(y_w|x) − log π(y_l|x) over pairs, under the vector at −1, 0 and +1, computed by
/// llama.cpp with the vector set as its control vector (the path every other LlamaSteer verb steers through).
/// </summary>
public sealed record PreferenceMargins(double Minus, double Unsteered, double Plus)
{
    public static PreferenceMargins Measure(LlamaModel model, SteeringVector vector, IReadOnlyList<TokenizedPreference> pairs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var longest = pairs.Max(p => Math.Max(p.Chosen.Length, p.Rejected.Length));
        using var context = model.CreateContext(new ContextOptions { Threads = 1, ExactAttention = true, ContextSize = Math.Max(64, longest), BatchSize = Math.Max(64, longest) });
        double At(float strength)
        {
            var sum = 0.0;
            foreach (var p in pairs)
            {
                cancellationToken.ThrowIfCancellationRequested();
                sum += Score(context, vector, strength, p.Chosen, p.PromptLength) - Score(context, vector, strength, p.Rejected, p.PromptLength);
            }
            return sum / pairs.Count;
        }
        return new PreferenceMargins(At(-1), At(0), At(1));
    }

    private static double Score(InferenceContext context, SteeringVector vector, float strength, int[] tokens, int promptLength)
    {
        using (var lease = context.Acquire())
        {
            if (strength == 0) lease.SetControlVector([], -1, -1);
            else
            {
                var buffer = ControlVectorAdapter.Build([new VectorTerm(vector, strength)], vector.EmbeddingSize, context.Model.LayerCount);
                lease.SetControlVector(buffer.Data, buffer.FirstLayer, buffer.LastLayer);
            }
        }
        return ReferenceLogProbabilities.Compute(context, tokens, promptLength);
    }
}
