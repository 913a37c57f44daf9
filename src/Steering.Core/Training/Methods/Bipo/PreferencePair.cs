namespace LlamaSteer.Training.Methods.Bipo;

/// <summary>One preference: a prompt and two continuations of it, the preferred and the dispreferred. Immutable.</summary>
public sealed record PreferencePair(string Prompt, string Chosen, string Rejected, int LineNumber);

/// <summary>A preference pair through the model's tokenizer, with the unsteered model's reference log-probabilities.</summary>
/// <param name="Chosen">Prompt tokens followed by the chosen response's tokens (EOS appended).</param>
/// <param name="Rejected">Prompt tokens followed by the rejected response's tokens (EOS appended).</param>
/// <param name="PromptLength">Tokens of the prompt: the responses start there.</param>
/// <param name="ReferenceMargin">log π(chosen|prompt) − log π(rejected|prompt) under the unsteered model.</param>
public sealed record TokenizedPreference(int[] Chosen, int[] Rejected, int PromptLength, double ReferenceMargin);
