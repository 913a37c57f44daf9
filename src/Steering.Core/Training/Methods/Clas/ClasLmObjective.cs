using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Engine;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Losses;
using LlamaSteer.Training.Parameters;

namespace LlamaSteer.Training.Methods.Clas;

/// <summary>
/// CLAS as its paper trains it: the mean cross-entropy of a target response (the prompt masked) under the model steered
/// by <see cref="ContextualStrengthParameters"/>, the frozen model and direction fixed, only w and b learning.
/// </summary>
public sealed class ClasLmObjective(ContextualStrengthParameters strength) : ITrainingObjective<CompletionExample>
{
    public IReadOnlyList<TrainableTensor> Parameters => strength.Tensors;

    public GgmlTensorRef BuildLoss(GraphStep step, LlamaGraphBuilder builder, CompletionExample example, Random random)
    {
        var pass = builder.Build(example.Tokens, strength);
        return SequenceLogProbability.MeanCrossEntropy(step, pass.Logits, example.Tokens, example.ResponseStart).Loss;
    }

    public int TokenCount(CompletionExample example) => example.Tokens.Length;
}
