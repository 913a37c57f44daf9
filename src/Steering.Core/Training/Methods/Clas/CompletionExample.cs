namespace LlamaSteer.Training.Methods.Clas;

/// <summary>One target completion: a prompt and the response the steered model should give (prompt with BOS, response with EOS).</summary>
/// <param name="Tokens">Prompt tokens followed by the response's.</param>
/// <param name="ResponseStart">Where the response starts; the loss covers only its tokens.</param>
public sealed record CompletionExample(int[] Tokens, int ResponseStart);
