namespace LlamaSteer.Training.Methods.Tokens;

/// <summary>
/// One self-distillation example: the student's sequence (BOS, steering-token slots, base prompt, a continuation the
/// teacher sampled) and the teacher's next-token distribution at every position that predicts a continuation token.
/// </summary>
/// <param name="Tokens">The student's tokens; slot positions hold -1.</param>
/// <param name="Slots">Position to steering-token name, for the positions fed as embeddings.</param>
/// <param name="ContinuationStart">Index in <see cref="Tokens"/> of the first continuation token.</param>
/// <param name="TeacherProbabilities">[n_vocab x continuation length], vocabulary fastest: the soft labels.</param>
/// <param name="TeacherEntropy">The mean entropy (nats) of those distributions: cross-entropy minus it is the KL.</param>
public sealed record DistillationExample(int[] Tokens, IReadOnlyDictionary<int, string> Slots, int ContinuationStart, float[] TeacherProbabilities, double TeacherEntropy)
{
    /// <summary>How many continuation tokens the loss covers.</summary>
    public int ContinuationLength => Tokens.Length - ContinuationStart;
}
