using LlamaSteer.Native.Graphs;
using LlamaSteer.Training.Engine;
using LlamaSteer.Training.Graph;
using LlamaSteer.Training.Parameters;

namespace LlamaSteer.Training.Methods.Tokens;

/// <summary>
/// Steering tokens by self-distillation: the soft-label cross-entropy between the teacher's next-token distributions
/// (the model with the instruction in the prompt) and the student's (the model with steering tokens there), over the
/// continuation the teacher sampled. Minimising it minimises KL(teacher || student), the teacher's entropy being a
/// constant. Only the trainable tokens learn; frozen tokens (behaviour tokens while a composition token trains) enter
/// as constants and the model stays frozen.
/// </summary>
public sealed class TokenDistillationObjective(IReadOnlyDictionary<string, TrainableTensor> trainable, IReadOnlyDictionary<string, float[]> frozen)
    : ITrainingObjective<DistillationExample>
{
    public IReadOnlyList<TrainableTensor> Parameters { get; } = [.. trainable.Values];

    public GgmlTensorRef BuildLoss(GraphStep step, LlamaGraphBuilder builder, DistillationExample example, Random random)
    {
        var rows = example.Slots.ToDictionary(s => s.Key, s => trainable.TryGetValue(s.Value, out var t)
            ? step.Parameter(t)
            : step.Constant($"token_{s.Value}_{s.Key}", frozen.TryGetValue(s.Value, out var row) ? row : throw new ArgumentException($"no steering token '{s.Value}'."), row.Length));
        var pass = builder.Build(example.Tokens, rows);
        var g = step.Context;
        var vocab = pass.Logits.Dim(0);
        var student = g.Cont(g.Rows(pass.Logits, example.ContinuationStart - 1, example.ContinuationLength));
        var teacher = step.Constant("teacher_probs", example.TeacherProbabilities, vocab, example.ContinuationLength);
        return g.CrossEntropy(student, teacher).Named("distill_xent");
    }

    public int TokenCount(DistillationExample example) => example.Tokens.Length;
}
