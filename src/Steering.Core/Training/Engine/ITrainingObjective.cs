using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Parameters;

namespace LlamaSteer.Training.Engine;

/// <summary>
/// A training method's half of the composition: which tensors it trains and the loss of one example, built into a
/// graph step from the frozen model's forward pass. The <see cref="Trainer{TExample}"/> supplies the loop.
/// </summary>
public interface ITrainingObjective<in TExample>
{
    /// <summary>The tensors the optimizer updates.</summary>
    IReadOnlyList<TrainableTensor> Parameters { get; }

    /// <summary>The scalar loss of <paramref name="example"/>; <paramref name="random"/> is the run's seeded source (BiPO draws its sign from it).</summary>
    GgmlTensorRef BuildLoss(GraphStep step, LlamaGraphBuilder builder, TExample example, Random random);

    /// <summary>The number of tokens the example runs through the model (for tokens/s).</summary>
    int TokenCount(TExample example);
}
