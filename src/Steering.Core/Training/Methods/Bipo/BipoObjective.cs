using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Engine;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Losses;
using LlamaSteer.Training.Parameters;

namespace LlamaSteer.Training.Methods.Bipo;

/// <summary>
/// BiPO (Cao et al. 2024, "Personalized Steering of Large Language Models via Bi-directional Preference Optimization"):
/// per pair and step a direction d ∈ {−1, +1} is drawn, and softplus(−z) is minimised with
/// z = d·β·[(log π_{d·v}(y_w|x) − log π(y_w|x)) − (log π_{d·v}(y_l|x) − log π(y_l|x))]: adding v makes the chosen
/// response likelier than the reference does, subtracting it the rejected one. The parameters are
/// <see cref="LayerVectors"/>; the loss is <see cref="PreferenceLoss"/>.
/// </summary>
public sealed class BipoObjective(LayerVectors vectors, float beta) : ITrainingObjective<TokenizedPreference>
{
    public IReadOnlyList<TrainableTensor> Parameters => vectors.Tensors;

    public GgmlTensorRef BuildLoss(GraphStep step, LlamaGraphBuilder builder, TokenizedPreference example, Random random)
    {
        var d = random.Next(2) == 0 ? -1f : 1f;
        return Loss(step, builder, example, d);
    }

    /// <summary>The loss of <paramref name="example"/> at direction <paramref name="d"/> (deterministic; tests and evaluation use it).</summary>
    public GgmlTensorRef Loss(GraphStep step, LlamaGraphBuilder builder, TokenizedPreference example, float d)
    {
        var edit = vectors.AtStrength(d);
        var chosen = builder.Build(example.Chosen, edit, "_w");
        var rejected = builder.Build(example.Rejected, edit, "_l");
        var logpW = SequenceLogProbability.Build(step, chosen.Logits, example.Chosen, example.PromptLength, "_w");
        var logpL = SequenceLogProbability.Build(step, rejected.Logits, example.Rejected, example.PromptLength, "_l");
        return PreferenceLoss.Build(step, logpW, logpL, example.ReferenceMargin, d * beta);
    }

    public int TokenCount(TokenizedPreference example) => example.Chosen.Length + example.Rejected.Length;
}
