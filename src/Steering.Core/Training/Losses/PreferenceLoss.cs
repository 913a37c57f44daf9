using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Graph;

namespace LlamaSteer.Training.Losses;

/// <summary>
/// The DPO/BiPO preference loss −log σ(z) = softplus(−z), with z = scale · [(log π(y_w) − log π(y_l)) − reference margin].
/// Built from sub, scale and softplus, which have backward passes (ggml has none for sigmoid).
/// </summary>
public static class PreferenceLoss
{
    /// <param name="chosenLogProbability">Scalar log π(y_w | x) under the steered model.</param>
    /// <param name="rejectedLogProbability">Scalar log π(y_l | x) under the steered model.</param>
    /// <param name="referenceMargin">log π_ref(y_w | x) − log π_ref(y_l | x), a constant.</param>
    /// <param name="scale">β times BiPO's direction sign d.</param>
    public static GgmlTensorRef Build(GraphStep step, GgmlTensorRef chosenLogProbability, GgmlTensorRef rejectedLogProbability, double referenceMargin, float scale, string tag = "")
    {
        var g = step.Context;
        var margin = g.Sub(g.Sub(chosenLogProbability, rejectedLogProbability), step.Constant($"ref_margin{tag}", [(float)referenceMargin], 1));
        return g.Softplus(g.Scale(margin, -scale)).Named($"preference_loss{tag}");
    }
}
